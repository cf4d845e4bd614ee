import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from consultations.models import Agent, Consultation, Customer

pytestmark = pytest.mark.django_db

IDENTIFIERS = [
    (Consultation, "source"),
    (Consultation, "external_id"),
    (Customer, "external_id"),
    (Agent, "external_id"),
]


def _columns(model: type) -> dict[str, object]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(
            cursor, model._meta.db_table
        )
    return {column.name: column for column in description}


@pytest.mark.parametrize(("model", "field"), IDENTIFIERS)
def test_identifier_columns_compare_by_code_point(model: type, field: str) -> None:
    assert _columns(model)[field].collation == "C"


@pytest.mark.parametrize("model", [Customer, Agent])
def test_external_id_has_a_single_unique_index(model: type) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, model._meta.db_table
        )
    on_external_id = [
        constraint
        for constraint in constraints.values()
        if constraint["columns"] == ["external_id"]
    ]
    assert len(on_external_id) == 1
    assert on_external_id[0]["unique"]


@pytest.mark.parametrize("model", [Customer, Agent])
def test_taken_external_id_is_refused_on_the_field(model: type) -> None:
    model.objects.create(external_id="c-1")
    with pytest.raises(ValidationError) as refused:
        model(external_id="c-1").full_clean()
    assert "already exists" in refused.value.message_dict["external_id"][0]
