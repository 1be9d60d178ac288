"""The apps import downwards: views, admin, pages and commands use models, and neither app's
upper layers use the other's (the import graph, read by grimp, the library under
import-linter).

Nothing here lists modules by hand. An app's *lower* layer is its models module and what it
imports from its own app (constraints, fields, markdown...); everything else in the app is
upper. So a module added tomorrow falls into one layer or the other by what it imports.
"""

import grimp
import pytest

APPS = ("stories", "timelines")
PACKAGES = (*APPS, "newsroom")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, include_external_packages=False)


def lower_layer(graph, app):
    """The app's models module and everything of the app it imports, directly or not."""
    models = f"{app}.models"
    return {models} | {
        module
        for module in graph.find_upstream_modules(models)
        if module == app or module.startswith(f"{app}.")
    }


def upper_layer(graph, app):
    return graph.find_children(app) and {
        module
        for module in graph.find_descendants(app)
        if ".migrations" not in module and ".tests" not in module
    } - lower_layer(graph, app)


@pytest.mark.parametrize(("app", "other"), [("stories", "timelines"), ("timelines", "stories")])
def test_no_app_imports_the_other_apps_upper_layers(graph, app, other):
    sideways = [
        f"{importer} imports {imported}"
        for imported in upper_layer(graph, other)
        for importer in graph.find_modules_that_directly_import(imported)
        if importer == app or importer.startswith(f"{app}.")
    ]
    assert sideways == []


def test_stories_models_do_not_import_timelines(graph):
    """timelines' models stand on stories' (articles, stories); never the other way round."""
    assert not any(module.startswith("timelines") for module in lower_layer(graph, "stories"))


def test_there_is_no_import_cycle(graph):
    modules = set().union(*(graph.find_descendants(p) | {p} for p in PACKAGES))
    modules = {module for module in modules if ".migrations" not in module}
    cycles = [
        f"{a} <-> {b}"
        for a in sorted(modules)
        for b in graph.find_modules_directly_imported_by(a)
        if b in modules and a != b and graph.chain_exists(importer=b, imported=a)
    ]
    assert cycles == []


def test_the_layers_are_as_this_test_expects(graph):
    """Guards the test itself: the split puts models below and the admin above."""
    assert "stories.models" in lower_layer(graph, "stories")
    assert "stories.markdown" in lower_layer(graph, "stories")
    assert "stories.admin" in upper_layer(graph, "stories")
    assert "timelines.pages" in upper_layer(graph, "timelines")
