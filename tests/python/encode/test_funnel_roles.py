"""The purchase funnel's roles (view, cart, fav, buy) read from event names, and the
``funnel`` option that names them. A checkout is a step before payment (the payment can
be declined): read as a purchase, a card tester's 149 checkouts made "buy_per_view 149";
"add" (Google Analytics' add-to-cart action) was not read as cart, so a box office's
2,157 adds made "buy_per_cart 2,157" where the true ratio was 1."""

import warnings

import pytest

from oddseq import Sequences
from oddseq.encode import DiversityEncoder
from oddseq.encode._behaviour import guess_funnel


@pytest.mark.parametrize(
    "labels, roles",
    [
        # the public shop logs read as they did
        (["pv", "cart", "fav", "buy"], {"view": "pv", "cart": "cart", "fav": "fav", "buy": "buy"}),
        (
            ["view", "cart", "purchase", "remove_from_cart"],
            {"view": "view", "cart": "cart", "buy": "purchase"},
        ),
        (
            ["view", "addtocart", "transaction"],
            {"view": "view", "cart": "addtocart", "buy": "transaction"},
        ),
        (
            ["login", "search", "view", "add_to_cart", "checkout", "payment_failed", "purchase"],
            {"view": "view", "cart": "add_to_cart", "buy": "purchase"},
        ),
        (["event"], {}),
        (["E1", "E2", "E22"], {}),
        # a checkout is not a purchase; "add" is add-to-cart in a shop
        (["view", "add", "checkout", "pay_ok", "pay_fail"], {"view": "view", "cart": "add"}),
        (["view", "add", "order"], {"view": "view", "cart": "add", "buy": "order"}),
        # ...and a record's creation elsewhere (an audit log: no purchase, no checkout)
        (["view", "add", "update", "delete", "login"], {"view": "view"}),
        (["add", "remove"], {}),
        # case, separators and a plural s
        (["clicks", "buys"], {"view": "clicks", "buy": "buys"}),
        (
            ["PageView", "Add-To-Cart", "Add To Wishlist", "Purchases"],
            {
                "view": "PageView",
                "cart": "Add-To-Cart",
                "fav": "Add To Wishlist",
                "buy": "Purchases",
            },
        ),
        (
            ["view_item", "add_to_cart", "begin_checkout", "purchase"],
            {"view": "view_item", "cart": "add_to_cart", "buy": "purchase"},
        ),
    ],
)
def test_roles_read_from_event_names(labels, roles):
    assert guess_funnel(labels) == roles
    seqs = Sequences.from_lists([labels])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert DiversityEncoder().fit(seqs).funnel_ == roles


def test_event_codes_given_as_text_are_the_logs_numbers():
    seqs = Sequences.from_lists([[1, 2, 2, 3], [1, 1, 3]])
    enc = DiversityEncoder(funnel={"view": "1", "buy": "3"}).fit(seqs)
    assert enc.funnel_ == {"view": 1, "buy": 3}


def test_a_checkout_without_a_purchase_name_warns_naming_funnel():
    seqs = Sequences.from_lists([["view", "add", "checkout", "pay_ok"], ["view", "pay_fail"]])
    with pytest.warns(UserWarning, match=r"'checkout' \(not read as buy\).*funnel=\{'buy'"):
        enc = DiversityEncoder().fit(seqs)
    assert enc.funnel_ == {"view": "view", "cart": "add"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named: no warning
        named = DiversityEncoder(funnel={"view": "view", "cart": "add", "buy": "pay_ok"})
        row = named.set_output(transform="pandas").fit(seqs).transform(seqs).iloc[0]
        assert (row["buy_per_cart"], row["buy_per_view"], row["cart_per_view"]) == (1, 1, 1)
        # a purchase name beside the checkout: read, no warning (the marketplace)
        bought = Sequences.from_lists([["view", "add", "checkout", "purchase"]])
        assert DiversityEncoder().fit(bought).funnel_["buy"] == "purchase"


def test_funnel_parameter_is_checked():
    seqs = Sequences.from_lists([["view", "add", "checkout", "purchase"]])
    with pytest.raises(ValueError, match="funnel must be a dict with keys among"):
        DiversityEncoder(funnel={"paid": "purchase"}).fit(seqs)
    with pytest.raises(ValueError, match="more than one role"):
        DiversityEncoder(funnel={"view": "view", "cart": "view"}).fit(seqs)
    with pytest.raises(
        ValueError,
        match=r"funnel names events \['pay_ok'\].*give funnel \(--funnel from the shell\) one",
    ):
        DiversityEncoder(funnel={"buy": "pay_ok"}).fit(seqs)
    assert DiversityEncoder(funnel={}).fit(seqs).funnel_ == {}


def test_several_events_for_one_role_is_a_value_error_naming_funnel():
    seqs = Sequences.from_lists([["view", "pay_ok", "order"]])
    with pytest.raises(ValueError, match="funnel gives a role several events.*one event"):
        DiversityEncoder(funnel={"buy": ["pay_ok", "order"]}).fit(seqs)
