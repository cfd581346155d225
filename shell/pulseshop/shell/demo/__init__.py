"""Demo data shipped with the service: ``catalog.csv``, the catalog of a small shop.

About two hundred products of a tea, coffee, kitchen, stationery, books, food and gifts
shop, in EUR, taxed ``standard``, ``reduced`` or ``zero``, some with volume prices. It is
package data, read with ``importlib.resources.files("pulseshop.shell.demo")``, and a valid
catalog file: it parses with no errors and no warnings.
"""
