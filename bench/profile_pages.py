"""Where a storefront page's time goes: renders each page N times in process (the page cache
off, so every render is a miss) under pyinstrument and prints the call tree of the slowest
frames. Runs on the database bench/pages.py left behind (run that first).

Usage: python bench/profile_pages.py [--renders 30] [--page home|category|search|product|seller]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import bench_database_url, setup_django  # noqa: E402
from bench.auth import HOST, REDIS_URL  # noqa: E402

PATHS = {
    "home": "/",
    "category": "/c/developer-tools/",
    "search": "/search/?q=editor",
    "product": "/p/product-7/",
    "seller": "/s/seller-3/",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--page", choices=sorted(PATHS), action="append")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    setup_django(bench_database_url().replace("_bench", "_bench_pages"))
    from django.conf import settings
    from django.test import Client
    from pyinstrument import Profiler

    settings.SOUK_PAGE_CACHE_SECONDS = 0  # every render a miss
    client = Client(HTTP_HOST=HOST)
    for name in args.page or sorted(PATHS):
        path = PATHS[name]
        assert client.get(path).status_code == 200, path  # warm imports and template caches
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.renders):
            client.get(path)
        profiler.stop()
        print(f"===== {name} ({path}), {args.renders} renders =====")
        print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
