from django.http import JsonResponse

from .models import Product


def catalogue(request):
    rows = []
    for product in Product.objects.filter(title__icontains=request.GET.get("q", "")):
        rows.append({"title": product.title, "vendor": product.vendor.name})
    return JsonResponse({"rows": rows})


def tag_cloud(request):
    products = Product.objects.order_by("title")
    return JsonResponse({p.title: [t.label for t in p.tags.all()] for p in products})
