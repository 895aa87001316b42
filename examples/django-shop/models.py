from django.db import models


class Tag(models.Model):
    label = models.CharField(max_length=40)


class Vendor(models.Model):
    name = models.CharField(max_length=100)


class Product(models.Model):
    title = models.CharField(max_length=200)
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="products")
    tags = models.ManyToManyField(Tag)
