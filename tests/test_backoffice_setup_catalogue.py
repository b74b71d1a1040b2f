"""The catalogue pages: the category tree editor (create, rename, move, reorder with buttons
or by the drag-and-drop script's post) and the moderation queue (approve, reject with a
reason, in bulk; featured products), writing only through the catalogue's services."""

from __future__ import annotations

from django.core import mail
from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.catalog.models import Category, Product, ProductStatus
from core.catalog.services.products import transition
from tests.accounts_helpers import make_user, sign_in, signed_in_operator
from tests.catalog_helpers import make_category, make_product, make_seller


def tree(tenant) -> list[tuple[str, str | None, int]]:
    """(name, parent name, position) of every category, in path order."""
    with schema_context(tenant.schema_name):
        return [
            (c.name, c.parent.name if c.parent else None, c.position)
            for c in Category.objects.select_related("parent").order_by("depth", "position", "name")
        ]


def children(tenant, parent=None) -> list[str]:
    with schema_context(tenant.schema_name):
        rows = Category.objects.filter(parent=parent).order_by("position", "name")
        return [c.name for c in rows]


# --- categories --------------------------------------------------------------------------------


def test_an_operator_builds_a_tree_of_categories(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    assert client.post("/operator/categories/", {"name": "Tools", "parent": ""}).status_code == 302
    with schema_context(tenant_a.schema_name):
        tools = Category.objects.get(name="Tools")
    response = client.post("/operator/categories/", {"name": "Saws", "parent": str(tools.pk)})
    assert response.status_code == 302
    client.post("/operator/categories/", {"name": "Planes", "parent": str(tools.pk)})

    assert children(tenant_a) == ["Tools"]
    assert children(tenant_a, tools) == ["Saws", "Planes"]
    page = client.get("/operator/categories/").content.decode()
    assert page.index(">Saws<") < page.index(">Planes<")
    assert f'data-parent="{tools.pk}"' in page


def test_a_bad_category_answers_the_field_and_writes_nothing(client_for, tenant_a):
    make_category(tenant_a, "Tools")
    client, _ = signed_in_operator(client_for, tenant_a)
    for posted, field in [
        ({"name": "", "parent": ""}, "name"),
        ({"name": "x" * 81, "parent": ""}, "name"),
        ({"name": "Saws", "parent": "999999"}, "parent"),
        ({"name": "Tools", "parent": ""}, "name"),  # the slug "tools" is taken
    ]:
        response = client.post("/operator/categories/", posted)
        assert (posted["name"][:5], response.status_code) == (posted["name"][:5], 400)
        assert response.context["form"].errors[field]
    assert tree(tenant_a) == [("Tools", None, 0)]


def test_categories_are_renamed_moved_and_reordered_with_buttons(client_for, tenant_a):
    tools = make_category(tenant_a, "Tools")
    lamps = make_category(tenant_a, "Lamps")
    rugs = make_category(tenant_a, "Rugs")
    client, _ = signed_in_operator(client_for, tenant_a)
    assert children(tenant_a) == ["Lamps", "Rugs", "Tools"]  # made by the service: all at 0
    client.post(f"/operator/categories/{rugs.pk}/up/")
    assert children(tenant_a) == ["Rugs", "Lamps", "Tools"]

    client.post(f"/operator/categories/{lamps.pk}/rename/", {"name": "Lanterns"})
    client.post(f"/operator/categories/{lamps.pk}/move/", {"parent": str(tools.pk)})

    with schema_context(tenant_a.schema_name):
        moved = Category.objects.get(pk=lamps.pk)
        assert (moved.name, moved.parent_id, moved.depth) == ("Lanterns", tools.pk, 1)
        assert moved.path == f"{tools.path}{lamps.pk}/"

    client.post(f"/operator/categories/{lamps.pk}/move/", {"parent": ""})
    with schema_context(tenant_a.schema_name):
        assert Category.objects.get(pk=lamps.pk).parent_id is None


def test_up_and_down_swap_neighbours_and_stop_at_the_ends(client_for, tenant_a):
    a, _, c = (make_category(tenant_a, name) for name in ("A", "B", "C"))
    client, _ = signed_in_operator(client_for, tenant_a)
    client.post(f"/operator/categories/{c.pk}/up/")
    assert children(tenant_a) == ["A", "C", "B"]
    client.post(f"/operator/categories/{a.pk}/up/")
    assert children(tenant_a) == ["A", "C", "B"]
    client.post(f"/operator/categories/{a.pk}/down/")
    assert children(tenant_a) == ["C", "A", "B"]
    assert client.post(f"/operator/categories/{a.pk}/sideways/").status_code == 404


def test_a_category_cannot_move_under_itself(client_for, tenant_a):
    tools = make_category(tenant_a, "Tools")
    saws = make_category(tenant_a, "Saws", parent=tools)
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post(f"/operator/categories/{tools.pk}/move/", {"parent": str(saws.pk)})
    assert response.status_code == 400
    assert tree(tenant_a) == [("Tools", None, 0), ("Saws", "Tools", 0)]


def test_renaming_to_nothing_is_refused(client_for, tenant_a):
    tools = make_category(tenant_a, "Tools")
    client, _ = signed_in_operator(client_for, tenant_a)
    assert client.post(f"/operator/categories/{tools.pk}/rename/", {"name": ""}).status_code == 400
    assert children(tenant_a) == ["Tools"]


def test_the_drag_and_drop_post_reorders_and_moves(client_for, tenant_a):
    a, b, c = (make_category(tenant_a, name) for name in ("A", "B", "C"))
    client, _ = signed_in_operator(client_for, tenant_a)

    response = client.post(
        "/operator/categories/reorder/", {"parent": "", "order": f"{c.pk},{a.pk},{b.pk}"}
    )
    assert response.status_code == 200
    assert response.json() == {"order": [c.pk, a.pk, b.pk]}
    assert children(tenant_a) == ["C", "A", "B"]

    # B dropped into C's (empty) list.
    response = client.post(
        "/operator/categories/reorder/", {"parent": str(c.pk), "order": f"{b.pk}"}
    )
    assert response.status_code == 200
    with schema_context(tenant_a.schema_name):
        assert Category.objects.get(pk=b.pk).parent_id == c.pk
    assert children(tenant_a) == ["C", "A"]


def test_a_stale_or_malformed_order_is_refused_and_changes_nothing(client_for, tenant_a):
    a, b = (make_category(tenant_a, name) for name in ("A", "B"))
    client, _ = signed_in_operator(client_for, tenant_a)
    before = tree(tenant_a)
    for order in [f"{a.pk}", f"{a.pk},{a.pk},{b.pk}", "x,y", ""]:
        response = client.post("/operator/categories/reorder/", {"parent": "", "order": order})
        assert (order, response.status_code) == (order, 400)
    response = client.post(
        "/operator/categories/reorder/", {"parent": "999999", "order": f"{a.pk}"}
    )
    assert response.status_code == 404
    assert tree(tenant_a) == before


def test_another_marketplace_cannot_touch_these_categories(client_for, tenant_a, tenant_b):
    tools = make_category(tenant_a, "Tools")
    other, _ = signed_in_operator(client_for, tenant_b)
    assert other.post(f"/operator/categories/{tools.pk}/rename/", {"name": "X"}).status_code == 404
    assert other.post(f"/operator/categories/{tools.pk}/up/").status_code == 404
    assert "Tools" not in other.get("/operator/categories/").content.decode()
    assert children(tenant_a) == ["Tools"]


# --- moderation --------------------------------------------------------------------------------


def submitted(tenant, seller, name):
    product = make_product(tenant, seller, name, publish=False)
    with schema_context(tenant.schema_name):
        transition(product=product, action="publish")
        product.refresh_from_db()
    assert product.status == ProductStatus.IN_REVIEW
    return product


def status_of(tenant, product) -> tuple[str, str]:
    with schema_context(tenant.schema_name):
        product.refresh_from_db()
        return product.status, product.moderation_note


def test_the_queue_lists_products_waiting_for_review(client_for, tenant_a):
    seller = make_seller(tenant_a, "maker", "Maker Works")
    waiting = submitted(tenant_a, seller, "Planer")
    make_product(tenant_a, seller, "Already Live")
    client, _ = signed_in_operator(client_for, tenant_a)
    page = client.get("/operator/moderation/").content.decode()
    assert f'id="product-{waiting.pk}"' in page
    assert "Maker Works" in page and "10.00 USD" in page
    assert "1 waiting" in page
    assert page.count('name="products"') == 1


def test_approving_one_product_publishes_it(client_for, tenant_a):
    seller = make_seller(tenant_a, "maker")
    product = submitted(tenant_a, seller, "Planer")
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/moderation/", {"one": f"approve:{product.pk}"})
    assert response.status_code == 302
    assert status_of(tenant_a, product) == (ProductStatus.PUBLISHED, "")


def test_rejecting_needs_a_reason_which_the_seller_gets(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    seller = make_seller(tenant_a, "maker")
    product = submitted(tenant_a, seller, "Planer")
    client, _ = signed_in_operator(client_for, tenant_a)

    response = client.post("/operator/moderation/", {"one": f"reject:{product.pk}"})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["Tell the seller why."]
    assert status_of(tenant_a, product) == (ProductStatus.IN_REVIEW, "")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/operator/moderation/",
            {"one": f"reject:{product.pk}", f"reason-{product.pk}": "Add screenshots."},
        )
    assert status_of(tenant_a, product) == (ProductStatus.REJECTED, "Add screenshots.")
    assert [m.subject for m in mail.outbox] == ["[Alpha Market] Changes needed: Planer"]


def test_bulk_actions_apply_to_the_selected_products_only(client_for, tenant_a):
    seller = make_seller(tenant_a, "maker")
    first, second, third = (submitted(tenant_a, seller, n) for n in ("One", "Two", "Three"))
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post(
        "/operator/moderation/",
        {"action": "reject", "products": [first.pk, third.pk], "reason": "Blurry images"},
    )
    assert response.status_code == 302
    assert status_of(tenant_a, first) == (ProductStatus.REJECTED, "Blurry images")
    assert status_of(tenant_a, second) == (ProductStatus.IN_REVIEW, "")
    assert status_of(tenant_a, third) == (ProductStatus.REJECTED, "Blurry images")

    client.post("/operator/moderation/", {"action": "approve", "products": [second.pk]})
    assert status_of(tenant_a, second)[0] == ProductStatus.PUBLISHED


def test_a_bulk_action_on_products_not_in_the_queue_is_refused(client_for, tenant_a, tenant_b):
    seller = make_seller(tenant_a, "maker")
    waiting = submitted(tenant_a, seller, "Planer")
    live = make_product(tenant_a, seller, "Live One")
    client, _ = signed_in_operator(client_for, tenant_a)
    for posted in [
        {"action": "approve", "products": [live.pk]},
        {"action": "approve", "products": [999999]},
        {"action": "approve", "products": []},
        {"action": "delete", "products": [waiting.pk]},
    ]:
        response = client.post("/operator/moderation/", posted)
        assert response.status_code == 400
    assert status_of(tenant_a, waiting)[0] == ProductStatus.IN_REVIEW

    other, _ = signed_in_operator(client_for, tenant_b)
    response = other.post("/operator/moderation/", {"one": f"approve:{waiting.pk}"})
    assert response.status_code == 400
    assert status_of(tenant_a, waiting)[0] == ProductStatus.IN_REVIEW


def test_featuring_a_published_product(client_for, tenant_a):
    seller = make_seller(tenant_a, "maker")
    live = make_product(tenant_a, seller, "Live One")
    waiting = submitted(tenant_a, seller, "Not Yet")
    client, _ = signed_in_operator(client_for, tenant_a)

    assert (
        client.post(f"/operator/moderation/{live.pk}/feature/", {"is_featured": "yes"}).status_code
        == 302
    )
    with schema_context(tenant_a.schema_name):
        assert Product.objects.get(pk=live.pk).is_featured
    client.post(f"/operator/moderation/{live.pk}/feature/", {"is_featured": "no"})
    with schema_context(tenant_a.schema_name):
        assert not Product.objects.get(pk=live.pk).is_featured
    response = client.post(f"/operator/moderation/{waiting.pk}/feature/", {"is_featured": "yes"})
    assert response.status_code == 404


def test_a_seller_cannot_moderate(client_for, tenant_a):
    seller = make_seller(tenant_a, "maker")
    product = submitted(tenant_a, seller, "Planer")
    client = client_for(tenant_a)
    sign_in(client, "maker@example.com")
    assert client.post("/operator/moderation/", {"one": f"approve:{product.pk}"}).status_code == 403
    make_user(tenant_a, "buyer@example.com", role=Role.BUYER)
    assert status_of(tenant_a, product)[0] == ProductStatus.IN_REVIEW


def test_the_queue_reads_a_fixed_number_of_queries(
    client_for, tenant_a, django_assert_max_num_queries
):
    seller = make_seller(tenant_a, "maker")
    for index in range(8):
        submitted(tenant_a, seller, f"Product {index}")
    client, _ = signed_in_operator(client_for, tenant_a)
    client.get("/operator/moderation/")
    # 10 for the queue, 3 for automated moderation (holds, and the checks' precision/recall).
    with django_assert_max_num_queries(13):
        assert client.get("/operator/moderation/").status_code == 200
