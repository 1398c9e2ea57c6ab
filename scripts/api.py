#!/usr/bin/env python3
"""The public API of jsonmux as text files under api/, one per feature set.

    python3 scripts/api.py --write   regenerates api/*.txt from the source
    python3 scripts/api.py --check   regenerates them into a temporary directory
                                     and exits 1 with the diff if they differ

The listing comes from rustdoc's (unstable) JSON output, made on the stable
toolchain with RUSTC_BOOTSTRAP=jsonmux, which lets this crate alone use unstable
options, in <target dir>/api so as not to invalidate the normal builds. Needs
cargo and Python 3.8+, nothing else; works offline.

One block per public path, sorted by path: the item's line (with its public
fields, variants or associated items), then, indented, its inherent impls (one
header per set of generics, public methods sorted by name) and its trait impls
(header, associated types and constants), Send, Sync and Unpin included,
blanket impls left out. Fields and variants keep their declaration order.
In signatures this crate's items are written by their public path, other
crates' by where rustdoc says they are defined, prelude names bare.

An item reachable at two public paths (a second `pub use`) is not allowed: it
is listed under an ERROR section at the end and the script exits 1, with
--write too. What it cannot render becomes <unrendered ...> and a warning.
"""

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_DIR = ROOT / "api"
CRATE = "jsonmux"
UPDATE_COMMAND = "python3 scripts/api.py --write"
# The file for each feature set, and the cargo arguments that select it.
FEATURE_SETS = {"jsonmux.txt": [], "jsonmux-tls-metrics.txt": ["--features", "tls,metrics"]}
# The rustdoc JSON format versions this was written for (rustc 1.95 writes 57);
# with another one the listing is tried all the same, after a warning.
KNOWN_FORMAT_VERSIONS = {57}
# The auto trait impls listed (rustdoc's synthetic impls): what async callers rely on.
AUTO_TRAITS = {"Send", "Sync", "Unpin"}
# Prelude items, by the module where they are defined: written bare.
PRELUDE = {f"{module}::{name}" for module, names in {
    "core::option": "Option", "core::result": "Result", "alloc::string": "String ToString",
    "alloc::vec": "Vec", "alloc::boxed": "Box", "alloc::borrow": "ToOwned",
    "core::marker": "Send Sync Sized Unpin Copy", "core::clone": "Clone",
    "core::default": "Default", "core::ops::drop": "Drop", "core::ops::function": "Fn FnMut FnOnce",
    "core::cmp": "Eq PartialEq Ord PartialOrd", "core::convert": "From Into TryFrom TryInto AsRef AsMut",
    "core::iter::traits::iterator": "Iterator", "core::iter::traits::collect": "IntoIterator Extend",
}.items() for name in names.split()}


def warn(message):
    print(f"api.py: warning: {message}", file=sys.stderr)


def rustdoc_json(cargo_args):
    """Runs rustdoc with JSON output for one feature set; returns the parsed crate."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "api"
    out = target / "doc" / f"{CRATE}.json"
    out.unlink(missing_ok=True)  # never read the file another feature set left
    env = dict(os.environ, RUSTC_BOOTSTRAP=CRATE, CARGO_TARGET_DIR=str(target))
    subprocess.run(["cargo", "rustdoc", "--lib", "--locked", "--quiet", *cargo_args, "--",
                    "-Z", "unstable-options", "--output-format", "json"],
                   cwd=ROOT, env=env, check=True)
    krate = json.loads(out.read_text())
    if krate["format_version"] not in KNOWN_FORMAT_VERSIONS:
        warn(f"rustdoc JSON format_version {krate['format_version']}, this script was "
             f"written for {sorted(KNOWN_FORMAT_VERSIONS)}: check the listing")
    return krate


def tag(value):
    """The variant of a JSON-encoded Rust enum: a bare string or a one-key object."""
    return value if isinstance(value, str) else next(iter(value))


class Api:
    """One crate's JSON: finds the public paths, then renders the listing."""

    def __init__(self, krate):
        self.index, self.paths = krate["index"], krate["paths"]
        self.public = defaultdict(list)  # item id -> its public paths, in walk order
        self.reexports = {}  # public path -> the other crate's item re-exported there
        self.walk(krate["root"], [CRATE], ())

    def item(self, item_id):
        return self.index.get(str(item_id))

    # -- Which items are public, and where: a walk from the crate root ---------

    def walk(self, item_id, path, modules):
        """Records `path` for `item_id`; a module also visits its items."""
        self.public[item_id].append("::".join(path))
        item = self.item(item_id)
        if tag(item["inner"]) == "module" and item_id not in modules:
            for child in item["inner"]["module"]["items"]:
                self.child(child, path, modules + (item_id,))

    def child(self, child_id, path, modules):
        """One item of a module: declared there, or brought by a `pub use`."""
        child = self.item(child_id)
        if tag(child["inner"]) != "use":
            return self.walk(child_id, path + [child["name"]], modules)
        use = child["inner"]["use"]
        target = self.item(use["id"]) if use["id"] is not None else None
        if use["is_glob"] and target is not None:  # `pub use module::*` or `Enum::*`
            for grandchild in target["inner"].get("module", {}).get("items", []):
                self.child(grandchild, path, modules)
            for variant in target["inner"].get("enum", {}).get("variants", []):
                self.walk(variant, path + [self.item(variant)["name"]], modules)
        elif target is not None and target["crate_id"] == 0:
            self.walk(use["id"], path + [use["name"]], modules)
        else:  # another crate's item: a one-line re-export
            reexport = "::".join(path + ["*" if use["is_glob"] else use["name"]])
            self.reexports[reexport] = self.external_path(use["id"], use["source"])
            self.public[("external", use["id"], use["is_glob"])].append(reexport)

    # -- Types and bounds, from the JSON type tree ------------------------------

    def external_path(self, item_id, written):
        """Where rustdoc says an item is defined; as written in the source if unknown."""
        summary = self.paths.get(str(item_id))
        if summary is None:
            return written
        path = "::".join(summary["path"])
        return summary["path"][-1] if path in PRELUDE else path

    def path(self, p):
        """A path to a type or trait, with its generic arguments."""
        if p["id"] in self.public:
            name = sorted(self.public[p["id"]])[0]
        else:  # another crate's, or one of ours that has no public path
            name = self.external_path(p["id"], p["path"])
        return name + self.generic_args(p.get("args"))

    def generic_args(self, args):
        kind = tag(args) if args else None
        if kind == "angle_bracketed":  # <A, 'b, Name = C, Other: Bound>
            parts = [self.term(a) for a in args[kind]["args"]]
            for c in args[kind]["constraints"]:
                name, binding = c["name"] + self.generic_args(c.get("args")), c["binding"]
                parts.append(f"{name} = {self.term(binding['equality'])}" if tag(binding) == "equality"
                             else f"{name}: {self.bounds(binding['constraint'])}")
            return f"<{', '.join(parts)}>" if parts else ""
        if kind == "parenthesized":  # Fn(A, B) -> C
            body = args[kind]
            output = f" -> {self.type(body['output'])}" if body["output"] else ""
            return f"({', '.join(self.type(t) for t in body['inputs'])}){output}"
        return "(..)" if kind else ""  # return type notation, or no arguments

    def term(self, t):
        """A generic argument, or what follows `=`: a type, lifetime or constant."""
        kind = tag(t)
        if kind == "type": return self.type(t[kind])
        if kind in ("const", "constant"): return t[kind]["expr"]
        return t[kind] if kind == "lifetime" else "_"

    def bounds(self, bounds):
        return " + ".join(self.bound(b) for b in bounds)

    def bound(self, b):
        kind = tag(b)
        if kind == "trait_bound":
            body = b[kind]
            modifier = {"maybe": "?", "maybe_const": "~const "}.get(body["modifier"], "")
            return self.hrtb(body["generic_params"]) + modifier + self.path(body["trait"])
        if kind == "outlives": return b[kind]
        if kind == "use":  # precise capturing: use<'a, T>
            return f"use<{', '.join(next(iter(a.values())) for a in b[kind])}>"
        return self.placeholder("bound", b)

    def hrtb(self, params):
        return f"for<{', '.join(self.params(params))}> " if params else ""

    def type(self, t):
        """A rustdoc JSON `Type` as Rust source."""
        kind = tag(t)
        v = t[kind] if isinstance(t, dict) else None
        if kind == "resolved_path": return self.path(v)
        if kind in ("generic", "primitive"): return v
        if kind == "infer": return "_"
        if kind == "tuple": return f"({', '.join(map(self.type, v))}{',' * (len(v) == 1)})"
        if kind == "slice": return f"[{self.type(v)}]"
        if kind == "array": return f"[{self.type(v['type'])}; {v['len']}]"
        if kind == "impl_trait": return f"impl {self.bounds(v)}"
        if kind == "raw_pointer":
            return f"*{'mut' if v['is_mutable'] else 'const'} {self.pointee(v['type'])}"
        if kind == "borrowed_ref":
            lifetime = f"{v['lifetime']} " if v["lifetime"] else ""
            return f"&{lifetime}{'mut ' * v['is_mutable']}{self.pointee(v['type'])}"
        if kind == "dyn_trait":
            parts = [self.hrtb(p["generic_params"]) + self.path(p["trait"]) for p in v["traits"]]
            return "dyn " + " + ".join(parts + ([v["lifetime"]] if v["lifetime"] else []))
        if kind == "qualified_path":  # <T as Trait>::Name, or Self::Name
            self_type, name = self.type(v["self_type"]), v["name"] + self.generic_args(v.get("args"))
            if v["trait"] is None or self_type == "Self":
                return f"{self_type}::{name}"
            return f"<{self_type} as {self.path(v['trait'])}>::{name}"
        if kind == "function_pointer":
            sig, output = v["sig"], f" -> {self.type(v['sig']['output'])}" if v["sig"]["output"] else ""
            return (f"{self.hrtb(v['generic_params'])}{self.qualifiers(v['header'])}"
                    f"fn({', '.join(self.type(a) for _, a in sig['inputs'])}){output}")
        return self.placeholder("type", t)

    def pointee(self, t):
        """The type behind & or *: `&(dyn Error + 'static)` needs its parentheses."""
        text = self.type(t)
        return f"({text})" if tag(t) in ("dyn_trait", "impl_trait") and " + " in text else text

    def placeholder(self, what, value):
        warn(f"could not render {what} {json.dumps(value)[:120]}")
        return f"<unrendered {what} {tag(value)}>"

    # -- Generics, where clauses, function signatures ---------------------------

    def params(self, params):
        """Generic parameters, less the ones that `impl Trait` arguments make."""
        out = []
        for p in params:
            kind, v = tag(p["kind"]), next(iter(p["kind"].values()))
            if kind == "lifetime":
                out.append(p["name"] + (f": {' + '.join(v['outlives'])}" if v["outlives"] else ""))
            elif kind == "type" and not v["is_synthetic"]:
                bounds = f": {self.bounds(v['bounds'])}" if v["bounds"] else ""
                out.append(p["name"] + bounds + (f" = {self.type(v['default'])}" if v["default"] else ""))
            elif kind == "const":
                default = f" = {v['default']}" if v["default"] else ""
                out.append(f"const {p['name']}: {self.type(v['type'])}{default}")
        return out

    def generics(self, g):
        params = self.params(g["params"])
        return f"<{', '.join(params)}>" if params else ""

    def where(self, g):
        preds = []
        for pred in g["where_predicates"]:
            kind, v = tag(pred), next(iter(pred.values()))
            if kind == "bound_predicate":
                preds.append(f"{self.hrtb(v['generic_params'])}{self.type(v['type'])}: "
                             f"{self.bounds(v['bounds'])}")
            elif kind == "lifetime_predicate":
                preds.append(f"{v['lifetime']}: {' + '.join(v['outlives'])}")
            elif kind == "eq_predicate":
                preds.append(f"{self.type(v['lhs'])} = {self.term(v['rhs'])}")
            else:
                preds.append(self.placeholder("where predicate", pred))
        return f" where {', '.join(preds)}" if preds else ""

    @staticmethod
    def qualifiers(header):
        abi = "" if header["abi"] == "Rust" else f'extern "{tag(header["abi"])}" '
        return ("const " * header["is_const"] + "async " * header["is_async"]
                + "unsafe " * header["is_unsafe"] + abi)

    def function(self, path, f, vis="pub "):
        args = []
        for name, t in f["sig"]["inputs"]:
            if name == "self" and t == {"generic": "Self"}:
                args.append("self")
            elif name == "self" and tag(t) == "borrowed_ref" and t["borrowed_ref"]["type"] == {"generic": "Self"}:
                args.append(self.type(t).replace("Self", "self"))  # &self, &'a mut self
            else:
                args.append(f"{name}: {self.type(t)}")
        output = f" -> {self.type(f['sig']['output'])}" if f["sig"]["output"] else ""
        return (f"{vis}{self.qualifiers(f['header'])}fn {path}{self.generics(f['generics'])}"
                f"({', '.join(args)}){output}{self.where(f['generics'])}")

    # -- Items ------------------------------------------------------------------

    @staticmethod
    def attrs(item):
        """The attributes that change what callers may do, written before the item."""
        attrs = ["deprecated"] * bool(item.get("deprecation"))
        attrs += [tag(a) for a in item["attrs"] if tag(a) in ("non_exhaustive", "must_use")]
        return "".join(f"#[{a}] " for a in attrs)

    def block(self, item_id, path):
        """The lines for one item at one public path."""
        item = self.item(item_id)
        kind = tag(item["inner"])
        v, head = item["inner"][kind], self.attrs(item)
        if kind == "module": return [f"{head}pub mod {path}"]
        if kind in ("struct", "union"):
            return [head + self.struct(kind, path, v)] + self.impls(v["impls"], item_id, path)
        if kind == "enum":
            more = " { /* private variants */ }" if v["has_stripped_variants"] else ""
            lines = [f"{head}pub enum {path}{self.generics(v['generics'])}{self.where(v['generics'])}{more}"]
            lines += ["    " + self.variant(path, self.item(i)) for i in v["variants"]]
            return lines + self.impls(v["impls"], item_id, path)
        if kind == "variant": return [f"pub use {path} (variant)"]  # by `pub use Enum::*`
        if kind == "function": return [head + self.function(path, v)]
        if kind == "trait": return self.trait(head, path, v)
        if kind == "macro": return [f"{head}macro_rules! {path}"]
        if kind == "constant":
            return [f"{head}pub const {path}: {self.type(v['type'])} = {v['const']['expr']}"]
        if kind == "static":
            return [f"{head}pub static {'mut ' * v['is_mutable']}{path}: {self.type(v['type'])}"]
        if kind == "type_alias":
            g = v["generics"]
            return [f"{head}pub type {path}{self.generics(g)}{self.where(g)} = {self.type(v['type'])}"]
        return [f"{path}: " + self.placeholder("item", item["inner"])]

    def field(self, field_id):
        """A tuple field's type; `_` for a private one."""
        return "_" if field_id is None else self.type(self.item(field_id)["inner"]["struct_field"])

    def struct(self, kind, path, v):
        """A struct or union: its line, then its public named fields, one a line."""
        head = f"pub {kind} {path}{self.generics(v['generics'])}{self.where(v['generics'])}"
        shape = v.get("kind", {"plain": v})  # a union has no `kind`, its fields inline
        if shape == "unit":
            return head + ";"
        if tag(shape) == "tuple":
            return f"{head}({', '.join(('pub ' if f is not None else '') + self.field(f) for f in shape['tuple'])});"
        fields = [self.item(f) for f in shape["plain"]["fields"]]
        private = " { /* private fields */ }" if shape["plain"]["has_stripped_fields"] else ""
        return "\n".join([head + private] + [
            f"    {self.attrs(f)}pub {path}::{f['name']}: {self.type(f['inner']['struct_field'])}"
            for f in fields])

    def variant(self, enum_path, item):
        v = item["inner"]["variant"]
        shape, text = v["kind"], f"{self.attrs(item)}{enum_path}::{item['name']}"
        if tag(shape) == "tuple":
            text += f"({', '.join(map(self.field, shape['tuple']))})"
        elif tag(shape) == "struct":
            fields = [f"{f['name']}: {self.type(f['inner']['struct_field'])}"
                      for f in map(self.item, shape["struct"]["fields"])]
            fields += ["/* private fields */"] * shape["struct"]["has_stripped_fields"]
            text += f" {{ {', '.join(fields)} }}"
        return text + (f" = {v['discriminant']['expr']}" if v["discriminant"] else "")

    def trait(self, head, path, v):
        g = v["generics"]
        supertraits = f": {self.bounds(v['bounds'])}" if v["bounds"] else ""
        lines = [f"{head}pub {'unsafe ' * v['is_unsafe']}trait {path}{self.generics(g)}"
                 f"{supertraits}{self.where(g)}"]
        lines += sorted("    " + self.assoc(f"{path}::{self.item(i)['name']}", self.item(i), "")
                        for i in v["items"])
        # Its impls for other crates' types: those for ours are listed with the type.
        return lines + self.impls(v["implementations"], None, "", foreign_only=True)

    def assoc(self, path, item, vis):
        """An associated function, type or constant, of a trait or an impl."""
        kind = tag(item["inner"])
        v = item["inner"][kind]
        if kind == "function":
            provided = " { ... }" if v["has_body"] and vis == "" else ""
            return self.attrs(item) + self.function(path, v, vis) + provided
        if kind == "assoc_type":
            bounds = f": {self.bounds(v['bounds'])}" if v["bounds"] else ""
            value = f" = {self.type(v['type'])}" if v["type"] else ""
            return f"{vis}type {path}{self.generics(v['generics'])}{bounds}{value}"
        if kind == "assoc_const":
            value = f" = {v['value']}" if v.get("value") else ""
            return f"{vis}const {path}: {self.type(v['type'])}{value}"
        return self.placeholder("associated item", item["inner"])

    def impls(self, impl_ids, owner_id, owner, foreign_only=False):
        """A type's impls: the inherent ones merged by header, with their public
        items sorted by name; then the trait impls sorted by trait, with their
        associated types and constants (the trait fixes the methods)."""
        inherent, traits = defaultdict(list), []
        for impl_id in impl_ids:
            impl = self.item(impl_id)["inner"]["impl"]
            for_id = self.self_type_id(impl["for"])
            # rustdoc lists under a type the impls that only mention it, too
            # (`Service<Message> for Client` under Message): those go with
            # their own type when it is one of ours.
            if impl["blanket_impl"] is not None or for_id in self.public and (
                    foreign_only or owner_id is not None and for_id != owner_id):
                continue
            if impl["is_synthetic"] and impl["trait"]["path"].split("::")[-1] not in AUTO_TRAITS:
                continue
            g, trait = impl["generics"], ""
            if impl["trait"] is not None:
                trait = "!" * impl["is_negative"] + self.path(impl["trait"]) + " for "
            header = (f"    {'unsafe ' * impl['is_unsafe']}impl{self.generics(g)} "
                      f"{trait}{self.type(impl['for'])}{self.where(g)}")
            items = [self.item(i) for i in impl["items"]]
            if impl["trait"] is None:
                inherent[header] += [(i["name"], "        " + self.assoc(f"{owner}::{i['name']}", i, "pub "))
                                     for i in items if i["visibility"] == "public"]
            else:
                traits.append((trait, [header] + sorted(
                    "        " + self.assoc(i["name"], i, "") for i in items if tag(i["inner"]) != "function")))
        groups = sorted([h] + [line for _, line in sorted(lines)] for h, lines in inherent.items())
        return [line for group in groups + [g for _, g in sorted(traits)] for line in group]

    @staticmethod
    def self_type_id(t):
        """The item an impl is for, through references and pointers; None if not a path."""
        while tag(t) in ("borrowed_ref", "raw_pointer"):
            t = next(iter(t.values()))["type"]
        return t["resolved_path"]["id"] if tag(t) == "resolved_path" else None

    def listing(self, title):
        """The whole file: a header, the blocks sorted by path, the duplicates."""
        blocks = []
        for item_id, paths in self.public.items():
            for path in paths:
                if isinstance(item_id, tuple):  # another crate's item, re-exported
                    blocks.append((path, [f"pub use {path} = {self.reexports[path]}"]))
                    continue
                try:
                    blocks.append((path, "\n".join(self.block(item_id, path)).split("\n")))
                except (KeyError, TypeError, AttributeError, StopIteration) as e:
                    warn(f"could not render {path}: {type(e).__name__} {e}")
                    blocks.append((path, [f"{path}: <unrendered: {type(e).__name__}>"]))
        out = [f"# The public API of {CRATE}, {title}.",
               "# Generated by scripts/api.py from rustdoc's JSON output: do not edit.",
               f"# After a change to the API, review it and run: {UPDATE_COMMAND}",
               "# Types: ours by public path, other crates' by where they are defined."]
        previous = None  # (module, number of lines) of the block before
        for path, lines in sorted(blocks, key=lambda b: (b[0].split("::"), b[1])):
            module = path.rsplit("::", 1)[0]
            if not (len(lines) == 1 and previous == (module, 1)):
                out.append("")  # a module's one-line items stay together
            out += lines
            previous = (module, len(lines))
        dups = sorted(sorted(paths) for paths in self.public.values() if len(paths) > 1)
        if dups:
            out += ["", "# ERROR: items reachable at more than one public path (not allowed):"]
            out += ["#   " + " = ".join(paths) for paths in dups]
        return "\n".join(out) + "\n", dups


def generate(directory):
    """Writes each feature set's listing into `directory`; False if an item has
    several public paths."""
    ok = True
    for name, cargo_args in FEATURE_SETS.items():
        title = "features " + (cargo_args[1] if cargo_args else "default")
        text, dups = Api(rustdoc_json(cargo_args)).listing(title)
        (directory / name).write_text(text)
        for paths in dups:
            print(f"api.py: {name}: one item at several public paths, {' and '.join(paths)}: "
                  "remove all but one `pub use`", file=sys.stderr)
        ok = ok and not dups
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate api/*.txt")
    mode.add_argument("--check", action="store_true", help="fail if api/*.txt is out of date")
    if parser.parse_args().write:
        API_DIR.mkdir(exist_ok=True)
        ok = generate(API_DIR)
        print(f"api.py: wrote {', '.join('api/' + name for name in FEATURE_SETS)}")
        return 0 if ok else 1
    with tempfile.TemporaryDirectory() as tmp:
        ok, diff = generate(Path(tmp)), []
        for name in FEATURE_SETS:
            committed = API_DIR / name
            old = committed.read_text().splitlines() if committed.exists() else []
            diff += difflib.unified_diff(old, (Path(tmp) / name).read_text().splitlines(),
                                         f"api/{name} (committed)", f"api/{name} (from the source)",
                                         lineterm="")
    if diff:
        print("\n".join(diff), flush=True)
        print(f"the public API changed: review the diff and run `{UPDATE_COMMAND}` "
              "to update the snapshot", file=sys.stderr)
    return 0 if ok and not diff else 1


if __name__ == "__main__":
    sys.exit(main())
