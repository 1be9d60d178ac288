"""Submit admin forms as a browser would: read the rendered form, change a few values, post.

    data = form_data(client.get(change_url))
    data["headline"] = "New headline"
    add_inline(data, "sources", url="https://example.com/a", title="A", outlet=outlet.pk)
    client.post(change_url, data)

Everything the page renders goes into the payload, the inline management forms included, so a
test changes only what it is about and the admin sees the same POST a person's browser sends.
Buttons are left out: a test names the one it presses (e.g. data["_preview"] = "...").
"""

from html.parser import HTMLParser

from django.contrib.messages import get_messages

SKIPPED_INPUT_TYPES = {"submit", "button", "image", "reset", "file"}


def form_data(response, form_id=None):
    """The values a browser would submit from the page's admin form (`<model>_form`)."""
    assert response.status_code == 200, f"expected the form page, got {response.status_code}"
    parser = _FormParser(form_id)
    parser.feed(response.content.decode(response.charset or "utf-8"))
    parser.close()
    assert parser.found, f"no admin form {form_id or '<model>_form'} on the page"
    data = {}
    for name, value in parser.fields:
        if "__prefix__" in name:  # the template the admin's JavaScript copies for "Add another"
            continue
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    for name in parser.multiple:
        value = data.get(name)
        data[name] = [] if value is None else value if isinstance(value, list) else [value]
    return data


def add_inline(data, prefix, **fields):
    """Append a new form to an inline formset, as "Add another" does; returns its index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    return index


def inline_index(data, prefix, field, value):
    """The index of the inline form whose `field` has `value` (e.g. a source by its URL)."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    for index in range(total):
        if str(data.get(f"{prefix}-{index}-{field}")) == str(value):
            return index
    raise AssertionError(f"no {prefix} form with {field}={value!r}")


def error_text(response):
    """Every error the admin shows on a re-rendered form, as one string."""
    context = response.context
    assert context is not None and "adminform" in context, (
        f"expected the form again with errors, got {response.status_code}"
    )
    errors = [str(message) for message in context["adminform"].form.non_field_errors()]
    for name, messages in context["adminform"].form.errors.items():
        errors += [f"{name}: {message}" for message in messages]
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        errors += [str(message) for message in formset.non_form_errors()]
        for form in formset.forms:
            for name, messages in form.errors.items():
                errors += [f"{formset.prefix}-{name}: {message}" for message in messages]
    return "\n".join(errors)


def message_texts(response):
    """The admin messages set for the user by the request that gave `response`."""
    return [str(message) for message in get_messages(response.wsgi_request)]


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.found = False
        self.in_form = False
        self.fields = []
        self.multiple = set()
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: "" if value is None else value for name, value in attrs}
        if tag == "form" and not self.found:
            form_id = attrs.get("id", "")
            if form_id == self.form_id or (self.form_id is None and form_id.endswith("_form")):
                self.found = self.in_form = True
            return
        name = attrs.get("name")
        if not self.in_form or "disabled" in attrs:
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in SKIPPED_INPUT_TYPES:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            else:
                self.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = _Select(name, "multiple" in attrs)
        elif tag == "option" and self._select is not None:
            self._option = _Option(attrs.get("value"), "selected" in attrs)
            self._select.options.append(self._option)
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option.text += data

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "form":
            self.in_form = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            selected = [option.submitted for option in select.options if option.selected]
            if select.multiple:
                self.multiple.add(select.name)
                self.fields += [(select.name, value) for value in selected]
            elif selected or select.options:
                # Without a selected option a browser submits the first one.
                self.fields.append((select.name, (selected or [select.options[0].submitted])[-1]))
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self._textarea = None
            # Browsers drop the newline Django writes after the opening tag.
            text = "".join(parts).removeprefix("\r\n").removeprefix("\n")
            self.fields.append((name, text))


class _Select:
    def __init__(self, name, multiple):
        self.name = name
        self.multiple = multiple
        self.options = []


class _Option:
    def __init__(self, value, selected):
        self.value = value
        self.selected = selected
        self.text = ""

    @property
    def submitted(self):
        """An option without a value attribute submits its text."""
        return self.value if self.value is not None else self.text.strip()
