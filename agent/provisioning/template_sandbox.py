"""Bounded rendering of phone templates: a template is an administrator's
program, and no template may hold a worker's CPU or memory.

Jinja's sandbox keeps a template away from Python's internals but not from
work: two nested ``range(100000)`` loops, ``"x" * 1000000000`` or a
recursive macro run for as long as the template likes. Every render here
runs inside ``bounded()`` and is charged for what it does:

- a budget of steps per render: each loop iteration, each call (a macro, a
  method, ``loop()`` of a recursive loop), each filter, each intercepted
  operator costs one step, and a result, like each piece of text written
  (in a macro or a block ``set`` too), costs one more step per
  ``CHARS_PER_STEP`` characters or items it holds;
- refusal, before the work is done, of results longer than ``RESULT_MAX``
  characters or items from ``*``, ``+``, ``~``, ``%``, ``**`` and from the
  filters and string methods that pad, repeat or join (``center``,
  ``indent``, ``replace``, ``join``, ``format``, ``ljust``…), counting a
  list by the length it has when written out (``shown_length``);
- a cap on the rendered file (``RESULT_MAX``);
- a CPU time limit per render, for work the steps do not see (comparing two
  long strings in a loop).

Each refusal is a ``TemplateLimit`` naming the rule that was broken.

Known shortcoming: ``join`` with ``attribute=`` is checked after the join,
not before, because the attribute of each item is only known then; its
input is already bounded, so the result is at most a few times the limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import string
import time
import typing as t
from collections.abc import Iterator

import jinja2.nodes as nodes
import jinja2.sandbox
from jinja2.exceptions import TemplateRuntimeError
from jinja2.runtime import LoopContext
from jinja2.utils import generate_lorem_ipsum

# A phone's file is a few kilobytes; a megabyte is far beyond any real one
# and still renders in milliseconds.
RESULT_MAX = 1024 * 1024
# Steps per render. A template that loops over a phone's lines and keys
# takes a few hundred; the nested loops of a runaway template reach this in
# about ten milliseconds.
STEPS_MAX = 20_000
CHARS_PER_STEP = 100
# A whole number beyond this many bits is no phone setting (2**64 has 65).
NUMBER_BITS_MAX = 4096
# CPU seconds one render may take, measured on the rendering thread alone so
# that a busy box does not refuse a template that an idle one accepts.
CPU_SECONDS_MAX = 0.5
# thread_time() is a system call: look at the clock every so many steps.
CLOCK_EVERY = 64
# tojson(indent=…) indents every nested level.
JSON_INDENT_MAX = 16
# lipsum(n, max=…): paragraphs and words per paragraph.
LIPSUM_PARAGRAPHS_MAX = 100
LIPSUM_WORDS_MAX = 100

PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
# %-formatting: the width and precision of each conversion.
PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateLimit(TemplateRuntimeError):
    """A template that asked for more work or a larger result than a phone
    file may take."""


class _Budget:
    def __init__(self) -> None:
        self.steps = 0
        self.cpu_deadline = time.thread_time() + CPU_SECONDS_MAX

    def charge(self, steps: int = 1) -> None:
        before = self.steps
        self.steps += steps
        if self.steps > STEPS_MAX:
            raise TemplateLimit(
                f"more than {STEPS_MAX} steps (loop iterations, calls, filters)"
                " in one file"
            )
        if (
            before // CLOCK_EVERY != self.steps // CLOCK_EVERY
            and time.thread_time() > self.cpu_deadline
        ):
            raise TemplateLimit(f"more than {CPU_SECONDS_MAX} s of CPU for one file")


_BUDGET: contextvars.ContextVar[_Budget] = contextvars.ContextVar("template_budget")


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """Compile and render inside this: it holds the render's budget."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(steps: int = 1) -> None:
    budget = _BUDGET.get(None)
    if budget is None:
        raise TemplateLimit("a template renders only inside bounded()")
    budget.charge(steps)


def _refuse_length(length: int, what: str) -> None:
    if length > RESULT_MAX:
        raise TemplateLimit(f"{what}: a result of more than {RESULT_MAX} characters")


def shown_length(value: t.Any, what: str) -> int:
    """About how many characters ``str(value)`` gives, refused past the
    limit before Python builds it: a list may hold the same long string a
    thousand times over while being short itself."""
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            total += 4 * len(item)
            _refuse_length(total, what)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 * len(item) + 2
            _refuse_length(total, what)
            pending.extend(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        else:
            total += 1
        _refuse_length(total, what)
    return total


def _charged(value: t.Any, what: str) -> t.Any:
    """Charge for a result by its size, and refuse one too long."""
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        _refuse_length(len(value), what)
        _charge(len(value) // CHARS_PER_STEP)
    return value


def _number(value: t.Any, what: str, most: int = RESULT_MAX) -> None:
    if isinstance(value, int) and value > most:
        raise TemplateLimit(f"{what}: at most {most}")


def check_percent_format(text: str, what: str) -> None:
    """``"%10s" % x``: widths and precisions within the limit, none from
    the arguments (``%*d``)."""
    for width, precision in PERCENT_SPEC.findall(text):
        for number in (width, precision):
            if number == "*":
                raise TemplateLimit(f"{what}: a width from the arguments (%*)")
            if number and int(number) > RESULT_MAX:
                raise TemplateLimit(f"{what}: widths of at most {RESULT_MAX}")


def check_brace_format(text: str, what: str) -> None:
    """``"{:>10}".format(x)``: widths within the limit, none nested."""
    for _, _, spec, _ in string.Formatter().parse(text):
        if not spec:
            continue
        if "{" in spec:
            raise TemplateLimit(f"{what}: a width from the arguments ({{:{{}}}})")
        if any(int(number) > RESULT_MAX for number in re.findall(r"\d+", spec)):
            raise TemplateLimit(f"{what}: widths of at most {RESULT_MAX}")


def _replaced_length(text: t.Any, old: t.Any, new: t.Any, count: t.Any) -> int:
    if isinstance(text, bytes):
        old, new = bytes(old), bytes(new)
    else:
        text, old, new = str(text), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * (len(new) - len(old))


def _joined(separator: t.Any, items: t.Any, what: str) -> list:
    """The items to join, as a list, once their joined length is known to
    be within the limit."""
    items = list(items)
    _refuse_length(len(items), what)
    total = len(separator) * max(len(items) - 1, 0)
    for item in items:
        total += shown_length(item, what)
        _refuse_length(total, what)
    return items


def _check_binop(operator: str, left: t.Any, right: t.Any) -> None:
    sized = (str, bytes, list, tuple)
    what = f"the operator {operator}"
    both_ints = isinstance(left, int) and isinstance(right, int)
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, sized) and isinstance(times, int):
                _refuse_length(shown_length(sequence, what) * times, what)
        if both_ints and left.bit_length() + right.bit_length() > NUMBER_BITS_MAX:
            raise TemplateLimit(f"{what}: numbers of at most {NUMBER_BITS_MAX} bits")
    elif operator == "**":
        growing = both_ints and right > 0 and abs(left) > 1
        if growing and (abs(left).bit_length() - 1) * right > NUMBER_BITS_MAX:
            raise TemplateLimit(f"{what}: numbers of at most {NUMBER_BITS_MAX} bits")
    elif operator == "+":
        if isinstance(left, sized) and isinstance(right, sized):
            _refuse_length(len(left) + len(right), what)
    elif operator == "%" and isinstance(left, str):
        check_percent_format(left, what)
        _refuse_length(len(left) + shown_length(right, what), what)


def _check_method(method: t.Any, args: tuple, kwargs: dict) -> tuple:
    """Refuse a string method call that would give too long a result;
    the arguments to call it with."""
    method = getattr(method, "__wrapped__", method)
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    what = f"{type(owner).__name__}.{name}"
    if isinstance(owner, int) and not isinstance(owner, bool) and name == "to_bytes":
        _number(args[0] if args else kwargs.get("length", 1), what)
    if not isinstance(owner, (str, bytes)):
        return args
    if name in {"format", "format_map"} and isinstance(owner, str):
        check_brace_format(owner, what)
        shown = shown_length(args, what) + shown_length(kwargs, what)
        _refuse_length(len(owner) + shown, what)
    elif name in PADDING_METHODS and args:
        _number(args[0], what)
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tabsize, int):
            _refuse_length(
                len(owner)
                + owner.count("\t" if isinstance(owner, str) else b"\t") * tabsize,
                what,
            )
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        _refuse_length(_replaced_length(owner, args[0], args[1], count), what)
    elif name == "join" and args:
        return (_joined(owner, args[0], what), *args[1:])
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max(
            (len(v) for v in args[0].values() if isinstance(v, (str, bytes))),
            default=1,
        )
        _refuse_length(len(owner) * longest, what)
    return args


def _check_filter(name: str, args: tuple, kwargs: dict) -> tuple:
    """Refuse a filter that would give too long a result; the arguments to
    call it with. ``args`` start with the filter's value."""
    what = f"the filter {name}"

    def arg(position: int, keyword: str, default: t.Any) -> t.Any:
        return args[position] if len(args) > position else kwargs.get(keyword, default)

    if name == "center":
        _number(arg(1, "width", 80), what)
    elif name == "indent":
        width = arg(1, "width", 4)
        text = str(args[0]) if args else ""
        step = len(width) if isinstance(width, str) else width
        if isinstance(step, int):
            _refuse_length(len(text) + (text.count("\n") + 1) * step, what)
    elif name == "format" and args:
        check_percent_format(str(args[0]), what)
    elif name == "replace" and len(args) >= 3:
        _refuse_length(_replaced_length(*args[:3], arg(3, "count", None)), what)
    elif name == "join" and args and arg(2, "attribute", None) is None:
        separator = str(arg(1, "d", ""))
        return (_joined(separator, args[0], what), *args[1:])
    elif name in {"batch", "slice"}:
        _number(arg(1, "linecount" if name == "batch" else "slices", 1), what)
    elif name == "tojson":
        _number(arg(1, "indent", None), what, JSON_INDENT_MAX)
    return args


def _bounded_filter(name: str, func: t.Callable) -> t.Callable:
    # pass_context, pass_eval_context, pass_environment: Jinja puts its
    # own object first, before the filter's value.
    passes = getattr(func, "jinja_pass_arg", None) is not None

    @functools.wraps(func)
    def bounded_filter(*args: t.Any, **kwargs: t.Any) -> t.Any:
        _charge()
        lead, rest = (args[:1], args[1:]) if passes else ((), args)
        if rest:
            shown_length(rest[0], f"the filter {name}")
        rest = _check_filter(name, rest, kwargs)
        return _charged(func(*lead, *rest, **kwargs), f"the filter {name}")

    return bounded_filter


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    _number(n, "lipsum paragraphs", LIPSUM_PARAGRAPHS_MAX)
    _number(max, "lipsum words", LIPSUM_WORDS_MAX)
    return generate_lorem_ipsum(n, html, min, max)


class BoundedSandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with every loop, call, filter and
    size-changing operator charged to the render's budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: t.Any) -> None:
        super().__init__(**options)
        self.filters = {
            name: _bounded_filter(name, func) for name, func in self.filters.items()
        }
        self.globals["lipsum"] = _lipsum

    def _parse(
        self, source: str, name: str | None, filename: str | None
    ) -> nodes.Template:
        """The template's tree, with its loops counted and its ``~`` checked.
        Jinja compiles every template through this method."""
        tree = super()._parse(source, name, filename)
        for output in tree.find_all(nodes.Output):
            output.nodes = [
                self._call("shown", [child], child.lineno) for child in output.nodes
            ]
        for loop in tree.find_all(nodes.For):
            loop.iter = self._call("counted", [loop.iter], loop.lineno)
        _replace_concat(tree, self)
        tree.set_environment(self)
        return tree

    @staticmethod
    def _call(attribute: str, args: list, lineno: int) -> nodes.Call:
        return nodes.Call(
            nodes.EnvironmentAttribute(attribute, lineno=lineno),
            args,
            [],
            None,
            None,
            lineno=lineno,
        )

    def counted(self, iterable: t.Any) -> Iterator[t.Any]:
        """A loop's items, each charged one step."""
        for item in iterable:
            _charge()
            yield item

    def concat(self, *parts: t.Any) -> str:
        """``a ~ b``, refused before joining when too long."""
        shown_length(parts, "the operator ~")
        return _charged("".join(str(part) for part in parts), "the operator ~")

    def shown(self, value: t.Any) -> t.Any:
        """What a template writes out, charged by its length; this holds
        back text piled up in a macro or a block ``set``, which the cap on
        the rendered file does not see."""
        _charge(shown_length(value, "the text written") // CHARS_PER_STEP)
        return value

    def call_binop(self, context, operator: str, left: t.Any, right: t.Any) -> t.Any:
        _charge()
        _check_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        return _charged(result, f"the operator {operator}")

    def call(__self, __context, __obj, *args: t.Any, **kwargs: t.Any) -> t.Any:
        _charge()
        if getattr(__obj, "__self__", None) is __self:
            # counted, concat, shown: each charges for itself
            return super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, LoopContext) and args:
            args = (__self.counted(args[0]), *args[1:])
        args = _check_method(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return _charged(result, getattr(__obj, "__name__", "a call"))

    def getitem(self, obj: t.Any, argument: t.Any) -> t.Any:
        result = super().getitem(obj, argument)
        if isinstance(argument, slice):
            _charge()
            return _charged(result, "a slice")
        return result


def _replace_concat(node: nodes.Node, environment: BoundedSandbox) -> None:
    """``a ~ b`` becomes a call of ``environment.concat``, which checks the
    length before it joins."""
    for field, value in node.iter_fields():
        if isinstance(value, nodes.Concat):
            _replace_concat(value, environment)
            setattr(
                node,
                field,
                environment._call("concat", list(value.nodes), value.lineno),
            )
        elif isinstance(value, nodes.Node):
            _replace_concat(value, environment)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, nodes.Concat):
                    _replace_concat(item, environment)
                    value[index] = environment._call(
                        "concat", list(item.nodes), item.lineno
                    )
                elif isinstance(item, nodes.Node):
                    _replace_concat(item, environment)


def render(template: jinja2.Template, context: dict) -> str:
    """The rendered text, refused past ``RESULT_MAX`` characters. Call
    inside ``bounded()``."""
    chunks: list[str] = []
    length = 0
    for chunk in template.generate(context):
        length += len(chunk)
        _refuse_length(length, "the rendered file")
        chunks.append(chunk)
    return "".join(chunks)
