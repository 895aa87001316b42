"""A FastAPI service with two blocking calls inside async endpoints (PerfLens flags them)."""
import time

import requests
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health():
    time.sleep(0.5)
    return {"ok": True}


@app.get("/rates/{currency}")
async def rates(currency: str):
    response = requests.get(f"https://rates.example/{currency}", timeout=5)
    return response.json()
