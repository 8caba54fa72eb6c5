"""Templates render within bounds: a template that loops, calls or grows
without end is refused in a fraction of a second with the rule it broke,
and every reasonable template renders exactly as Jinja renders it."""

from __future__ import annotations

import time

import jinja2
import jinja2.sandbox
import pytest

from agent.provisioning.template_sandbox import RESULT_MAX, STEPS_MAX
from agent.provisioning.templates import TemplateError, _context, render_body
from tests.test_provisioning_files import GOLDEN, PHONE, SITE

# Well under a second even on a loaded box; an unbounded render of any of
# these runs for minutes or until memory runs out.
QUICK_S = 1.0
STEPS = f"more than {STEPS_MAX} steps"
TOO_LONG = f"more than {RESULT_MAX} characters"


def render(body: str, built_in: bytes = b"#!version:1.0.0.1\n") -> bytes:
    return render_body(body, built_in, SITE, PHONE)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (
            "{{ built_in }}{% for i in range(100000) %}"
            "{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            STEPS,
        ),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}"
            "{% endfor %}{% endfor %}",
            STEPS,
        ),
        ('{{ "x" * 1000000000 }}', f"the operator *: a result of {TOO_LONG}"),
        ('{{ ["x"] * 1000000000 }}', f"the operator *: a result of {TOO_LONG}"),
        ("{{ 7 ** 100000000 }}", "the operator **: numbers of at most"),
        (
            '{% set ns = namespace(s="x") %}{% for i in range(60) %}'
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            f"the operator ~: a result of {TOO_LONG}",
        ),
        (
            '{% set s = "x" * 1000000 %}{{ s ~ s }}',
            f"the operator ~: a result of {TOO_LONG}",
        ),
        (
            '{% set s = "x" * 1000000 %}{{ s + s }}',
            f"the operator +: a result of {TOO_LONG}",
        ),
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
            "{% endmacro %}{{ f(60) }}",
            STEPS,
        ),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "nested too deeply"),
        (
            '{% set s = "x" * 10000 %}{% for c in s recursive %}'
            "{% if loop.depth < 5 %}{{ loop(s) }}{% endif %}{% endfor %}",
            STEPS,
        ),
        ('{{ "x"|center(10000000000) }}', "the filter center: at most"),
        ('{{ "x".ljust(10000000000) }}', "str.ljust: at most"),
        ('{{ "%9999999999d" % 1 }}', "the operator %: widths of at most"),
        ('{{ "%*d" % (999999999, 1) }}', "a width from the arguments"),
        ('{{ "%9999999999d"|format(1) }}', "the filter format: widths of at most"),
        ('{{ "{:>9999999999}".format(1) }}', "str.format: widths of at most"),
        ('{{ "{:>{}}".format(1, 999999999) }}', "a width from the arguments"),
        ('{{ ("x" * 100000)|replace("x", "x" * 1000) }}', "the filter replace"),
        ('{% set s = "x" * 600000 %}{{ [s, s]|join }}', "the filter join"),
        ('{% set s = "x" * 600000 %}{{ "".join([s, s]) }}', "str.join"),
        ('{% set s = ["x" * 100000] * 10 %}{{ s * 1000 }}', "the operator *"),
        ('{% set s = "x" * 600000 %}{{ [s, s] }}', "the text written"),
        ('{% set s = "x" * 600000 %}{{ "%s" % [s, s] }}', "the operator %"),
        ('{% set s = "x" * 600000 %}{{ [s, s]|string }}', "the filter string"),
        (
            '{% set s = "x" * 600000 %}{{ "{}{}".format(s, s) }}',
            f"str.format: a result of {TOO_LONG}",
        ),
        (
            '{% set s = "x" * 10000 %}{% macro m() %}{% for i in range(1000) %}'
            "{{ s }}{% endfor %}{% endmacro %}{% set t = m() %}",
            STEPS,
        ),
        (
            '{% set s = "x" * 10000 %}{% set t %}{% for i in range(1000) %}'
            "{{ s }}{% endfor %}{% endset %}",
            STEPS,
        ),
        ('{{ (1).to_bytes(10000000000, "big") }}', "int.to_bytes: at most"),
        ("{{ lipsum(10000000) }}", "lipsum paragraphs: at most"),
        ("{{ [1]|batch(10000000000, 0)|list }}", "the filter batch: at most"),
        ('{{ ("\n" * 100000)|indent(100000) }}', "the filter indent"),
        (
            '{% set s = "x" * 1000000 %}{% for i in range(100000) %}'
            "{% set t = s|upper %}{% endfor %}",
            STEPS,
        ),
    ],
)
def test_a_runaway_template_is_refused_quickly_naming_the_rule(body, rule):
    started = time.monotonic()
    with pytest.raises(TemplateError) as refused:
        render(body)
    took = time.monotonic() - started

    assert rule in str(refused.value)
    assert took < QUICK_S


@pytest.mark.parametrize(
    "golden",
    [
        "yealink-805ec0aabbcc.cfg",
        "yealink-y000000000000.cfg",
        "grandstream-cfg805ec0aabbcc.xml",
        "snom-805ec0aabbcc.xml",
        "cisco-805ec0aabbcc.xml",
        "polycom-phone805ec0aabbcc.cfg",
    ],
)
def test_the_default_template_gives_the_built_in_file_byte_for_byte(golden):
    built_in = (GOLDEN / golden).read_bytes()

    assert render("{{ built_in }}", built_in) == built_in


REASONABLE = [
    "{{ built_in }}{% for line in phone.lines %}"
    "account.{{ line.line }}.label = {{ line.number ~ ' ' ~ line.display_name }}\n"
    "{% endfor %}",
    "{% macro key(n, v) %}{{ 'linekey.%d.value = %s'|format(n, v) }}\n{% endmacro %}"
    "{{ built_in }}{% for k in phone['keys'] if k.kind == 'blf' %}"
    "{{ key(loop.index, k.target) }}{% endfor %}",
    "{{ built_in }}{{ '-' * 40 }}\n{{ '{:>8}|{:<8}'.format(site.port, site.server) }}\n"
    "{{ phone.lines|map(attribute='number')|join(',') }} {{ 2 ** 16 }} "
    "{{ site.language|upper|center(10) }} {{ range(300)|sum }}\n"
    "{% for i in range(1000) %}{% if i % 250 == 0 %}{{ i }};{% endif %}{% endfor %}\n"
    "{{ built_in|replace('1.0.0.1', '1.0.0.1')|length }} {{ phone|tojson(2)|length }}",
]


@pytest.mark.parametrize("body", REASONABLE)
def test_a_reasonable_template_renders_exactly_as_jinja_renders_it(body):
    built_in = (GOLDEN / "yealink-805ec0aabbcc.cfg").read_bytes()
    jinja = jinja2.sandbox.ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    expected = jinja.from_string(body).render(_context(built_in, SITE, PHONE))

    assert render(body, built_in).decode() == expected


def test_a_file_just_under_the_cap_renders_and_one_just_over_is_refused():
    long = b"x" * (RESULT_MAX // 2)
    under = render("{{ built_in }}{{ built_in }}", long)
    with pytest.raises(TemplateError) as over:
        render("{{ built_in }}{{ built_in }}y", long)

    assert len(under) == RESULT_MAX
    assert "the rendered file" in str(over.value)
