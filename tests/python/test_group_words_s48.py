"""A group's sentence counts the members its table lists under another group (TR s47 M8:
"one of 50 entities (group 0)" beside 26 rows of group 0, the other 24 under their own
stronger groups 2-4)."""

from test_normal_groups_s47 import two_groups_sharing_x

from oddseq.graph._detector import _and_list


def test_the_sentence_counts_members_listed_under_another_group():
    finder = two_groups_sharing_x()
    assert len(finder.groups_) == 2
    home = int(finder.group_of(["x"])[0])
    other = 1 - home
    mate = next(m for m in finder.groups_["members"].iloc[other] if m != "x")
    said = finder.explain([mate, "x"]).tolist()
    assert said[0].startswith(
        f"one of 9 entities (group {other}; 1 of them listed under group {home}, its "
        "strongest) that acted"
    )
    # x's own group lists every member under its number: said as before
    assert said[1].startswith(f"one of 9 entities (group {home}) that acted")
    # the table's rows: 9 + 8 carry a group number, as the two sentences now say
    labels = finder.group_of(list(finder.entity_ids_))
    assert [int((labels == g).sum()) for g in (home, other)] == [9, 8]


def test_and_list():
    assert _and_list([2]) == "2"
    assert _and_list([2, 3]) == "2 and 3"
    assert _and_list([2, 3, 4]) == "2, 3 and 4"
    assert _and_list(range(8)) == "0, 1, 2, 3, 4 and 3 more"
