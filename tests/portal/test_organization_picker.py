"""The report form's organization picker: a listed name becomes its id, anything else is kept."""

from __future__ import annotations

from tests.portal.conftest import Reporter
from tests.portal.test_views import open_report
from tipline.report_schema import SCHEMA_ID, validate


def sent_document(rows, unit_key_dirs) -> dict:
    [envelope] = rows.outbox()
    return validate(open_report(envelope.envelope, unit_key_dirs))


def test_the_form_offers_the_directory_without_scripts(stored_directory, reporter: Reporter):
    page = reporter.form_page()
    assert "Which school, workplace or organization is this about?" in page
    assert 'list="organization-list"' in page and '<datalist id="organization-list">' in page
    assert '<option value="Lincoln High School">School, Springfield School District</option>' in (
        page
    )
    assert '<option value="Acme Logistics">Employer</option>' in page
    assert "<script" not in page


def test_a_listed_name_is_sent_as_the_organization_id(
    stored_directory, reporter: Reporter, rows, unit_key_dirs
):
    response = reporter.submit(organization="  lincoln high SCHOOL ")
    assert response.status_code == 200
    document = sent_document(rows, unit_key_dirs)
    assert document["schema"] == SCHEMA_ID == "tipline.report/2"
    assert document["organization"] == {"id": "lincoln-high"}


def test_a_name_not_listed_is_kept_as_typed(
    stored_directory, reporter: Reporter, rows, unit_key_dirs
):
    response = reporter.submit(organization="Westside Community Pool")
    assert response.status_code == 200
    assert sent_document(rows, unit_key_dirs)["organization"] == {"name": "Westside Community Pool"}


def test_no_organization_means_none_is_sent(
    stored_directory, reporter: Reporter, rows, unit_key_dirs
):
    assert reporter.submit(organization="").status_code == 200
    assert "organization" not in sent_document(rows, unit_key_dirs)


def test_an_org_link_preselects_the_organization(stored_directory, client):
    page = client.get("/report?org=acme-logistics").get_data(as_text=True)
    assert 'name="organization" type="text" value="Acme Logistics"' in page
    unknown = client.get("/report?org=no-such-org").get_data(as_text=True)
    assert 'name="organization" type="text" value=""' in unknown


def test_an_over_long_organization_name_is_refused_and_kept(
    stored_directory, reporter: Reporter, rows
):
    typed = "Q" * 201
    response = reporter.submit(organization=typed, subject="Subject stays")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please shorten this to 200 characters or fewer." in page
    assert typed in page and 'value="Subject stays"' in page
    assert rows.outbox() == []
