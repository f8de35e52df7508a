"""Every page: labelled form fields, one h1, a viewport for phones, and no inline script or style (CSP)."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.web.conftest import Site

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset"}


class PageAudit(HTMLParser):
    """Collects what the checks need from one page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.problems: list[str] = []
        self.h1 = 0
        self.viewport = False
        self.lang = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in a:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
        if "style" in a:
            self.problems.append(f"inline style on <{tag}>")
        if tag == "script" and not a.get("src"):
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        if tag == "html":
            self.lang = bool(a.get("lang"))
        if tag == "meta" and a.get("name") == "viewport":
            self.viewport = "width=device-width" in (a.get("content") or "")
        if tag == "h1":
            self.h1 += 1
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        if tag in ("input", "select", "textarea") and (tag != "input" or a.get("type") not in UNLABELLED_TYPES):
            self.fields.append({"tag": tag, "id": a.get("id"), "name": a.get("name"), "wrapped": str(self.label_depth)})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1

    def check(self, where: str) -> None:
        for field in self.fields:
            labelled = field["wrapped"] != "0" or (field["id"] is not None and field["id"] in self.label_for)
            if not labelled:
                self.problems.append(f"<{field['tag']} name={field['name']}> has no label")
        assert self.lang and self.viewport, where
        assert self.h1 == 1, f"{where}: {self.h1} h1 elements"
        assert not self.problems, f"{where}: {self.problems}"


def audit(html: str, where: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    parser.check(where)
    return parser


def test_every_page_labels_its_fields_and_has_no_inline_code(site: Site) -> None:
    api = site.world.api("bob")
    yes_no = api.create_proposal("backend-team", "Deploy?", deadline_hours=1)["id"]
    single = api.create_proposal("backend-team", "Cache?", voting_type="single", options=["Redis", "Valkey"])["id"]
    ranked = api.create_proposal("backend-team", "Q2?", voting_type="ranked", options=["SSO", "API v2", "Dark"])["id"]
    done = api.create_proposal("backend-team", "Done?")["id"]
    api.cast_vote(done, "yes", comment="ok")
    site.world.api("alice").cast_vote(done, "yes")
    site.world.api("carol").cast_vote(done, "no", comment="not yet")
    api.cast_vote(ranked, ["SSO", "Dark"])
    api.finalize_proposal(done)
    anonymous = site.client()
    audit(anonymous.get("/signin").text, "sign-in")
    client = site.client("alice")
    pages = ["/", "/proposals", "/proposals/prop_missing"] + [f"/proposals/{p}" for p in (yes_no, single, ranked, done)]
    for path in pages:
        audit(client.get(path).text, path)
    fields = {f["name"] for f in audit(client.get(f"/proposals/{ranked}").text, "ranked").fields}
    assert {"rank-0", "rank-1", "rank-2", "comment", "confidence", "evidence", "abstain", "rationale"} <= fields


def test_the_vote_form_uses_fieldsets_with_legends_for_choices(site: Site) -> None:
    pid = site.world.api("bob").create_proposal(
        "backend-team", "Cache?", voting_type="single", options=["Redis", "Valkey"]
    )["id"]
    html = site.client("alice").get(f"/proposals/{pid}").text
    assert "<legend>Your choice</legend>" in html
    assert '<label for="choice-0">Redis</label>' in html
    assert '<label for="choice-abstain">abstain</label>' in html
