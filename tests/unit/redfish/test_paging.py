"""Query parameters and collection paging (redfish_mocks.paging), shared by both modes."""

import unittest

from redfish_mocks import paging

PATH = "/redfish/v1/Things"


def collection(n):
    return {"@odata.id": PATH, "Name": "Things",
            "Members": [{"@odata.id": f"{PATH}/{i}"} for i in range(n)],
            "Members@odata.count": n}


def ids(doc):
    return [int(m["@odata.id"].rsplit("/", 1)[1]) for m in doc["Members"]]


def follow(doc, page_size, query=""):
    """Every member a client gets by following nextLink from ``query``; the pages seen."""
    got, pages, q = [], 0, query
    while True:
        page = paging.page(doc, PATH, paging.parse(q), page_size)
        got += ids(page)
        pages += 1
        link = page.get("Members@odata.nextLink")
        if not link:
            return got, pages
        path, _, q = link.partition("?")
        assert path == PATH and pages < 1000, link


class ParseTest(unittest.TestCase):
    def test_top_and_skip(self):
        self.assertEqual(paging.parse("$top=5&$skip=10"), paging.Query(5, 10))
        self.assertEqual(paging.parse("%24skip=3"), paging.Query(None, 3))
        self.assertEqual(paging.parse(""), paging.Query())
        self.assertFalse(paging.parse("").paging)

    def test_unknown_plain_parameters_are_ignored(self):
        self.assertEqual(paging.parse("foo=1&bar"), paging.Query())

    def test_bad_values_are_400(self):
        for query, message_id in (
                ("$top=0", "QueryParameterOutOfRange"),
                ("$top=-1", "QueryParameterValueTypeError"),
                ("$top=abc", "QueryParameterValueTypeError"),
                ("$top=", "QueryParameterValueTypeError"),
                ("$skip=1.5", "QueryParameterValueTypeError"),
                ("$skip=%C2%B2", "QueryParameterValueTypeError"),  # a superscript digit
                ("$skip=1&$skip=2", "QueryParameterValueFormatError")):
            with self.subTest(query=query):
                with self.assertRaises(paging.QueryError) as ctx:
                    paging.parse(query)
                self.assertEqual(ctx.exception.status, 400)
                self.assertIn(message_id, ctx.exception.message_id)

    def test_unsupported_redfish_queries_are_501(self):
        for query in ("$expand=.", "$select=Name", "$filter=Name eq 'x'", "only",
                      "excerpt", "$levels=2"):
            with self.subTest(query=query):
                with self.assertRaises(paging.QueryError) as ctx:
                    paging.parse(query)
                self.assertEqual(ctx.exception.status, 501)
                self.assertIn("QueryNotSupported", ctx.exception.message_id)


class PageTest(unittest.TestCase):
    def test_window_count_and_next_link(self):
        doc = collection(10)
        page = paging.page(doc, PATH, paging.parse("$skip=2&$top=3"))
        self.assertEqual(ids(page), [2, 3, 4])
        self.assertEqual(page["Members@odata.count"], 10)  # the whole collection's
        self.assertNotIn("Members@odata.nextLink", page)  # the client's $top is met
        self.assertEqual(doc["Members@odata.count"], 10)
        self.assertEqual(len(doc["Members"]), 10)  # the whole is never changed

    def test_nothing_to_cut_returns_the_document_itself(self):
        doc = collection(4)
        self.assertIs(paging.page(doc, PATH, paging.Query()), doc)
        self.assertIs(paging.page(doc, PATH, paging.Query(), page_size=4), doc)
        self.assertIs(paging.page(doc, PATH, paging.parse("$top=9")), doc)

    def test_server_pages_and_the_chain_ends(self):
        for total, size in ((0, 5), (1, 5), (5, 5), (6, 5), (150, 75), (151, 75), (7, 1)):
            with self.subTest(total=total, size=size):
                got, pages = follow(collection(total), size)
                self.assertEqual(got, list(range(total)))  # each once, in order
                self.assertEqual(pages, max(1, -(-total // size)))

    def test_next_link_of_a_server_page(self):
        page = paging.page(collection(160), PATH, paging.Query(), page_size=75)
        self.assertEqual(len(page["Members"]), 75)
        self.assertEqual(page["Members@odata.nextLink"], f"{PATH}?$skip=75")
        last = paging.page(collection(160), PATH, paging.parse("$skip=150"), page_size=75)
        self.assertEqual(ids(last), list(range(150, 160)))
        self.assertNotIn("Members@odata.nextLink", last)

    def test_client_top_larger_than_a_server_page(self):
        doc = collection(100)
        page = paging.page(doc, PATH, paging.parse("$skip=10&$top=30"), page_size=20)
        self.assertEqual(ids(page), list(range(10, 30)))
        self.assertEqual(page["Members@odata.nextLink"], f"{PATH}?$skip=30&$top=10")
        got, _ = follow(doc, 20, "$skip=10&$top=30")
        self.assertEqual(got, list(range(10, 40)))

    def test_skip_bounds(self):
        doc = collection(5)
        self.assertEqual(ids(paging.page(doc, PATH, paging.parse("$skip=5"))), [])
        self.assertEqual(ids(paging.page(doc, PATH, paging.parse("$skip=4"))), [4])
        with self.assertRaises(paging.QueryError) as ctx:
            paging.page(doc, PATH, paging.parse("$skip=6"))
        self.assertEqual(ctx.exception.status, 400)
        self.assertIn("QueryParameterOutOfRange", ctx.exception.message_id)
        self.assertEqual(ids(paging.page(collection(0), PATH, paging.parse("$skip=0"))), [])

    def test_paging_a_resource_that_is_not_a_collection_is_400(self):
        with self.assertRaises(paging.QueryError) as ctx:
            paging.page({"Id": "1"}, PATH, paging.parse("$top=1"))
        self.assertIn("QueryNotSupportedOnResource", ctx.exception.message_id)
        doc = {"Id": "1"}
        self.assertIs(paging.page(doc, PATH, paging.Query(), page_size=2), doc)
