"""The Scrapy project that keeps the PVDN archive: spiders discover and fetch, `cleaning`
extracts, `storage` persists."""
