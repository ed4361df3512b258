//! The contract check: is a component's interface a published world's,
//! function by function and type by type?
//!
//! Owns reading what a component declares from its bytes and comparing it
//! with the WIT files the kernel was built with (`wit/`). It must not compile
//! or run anything: it answers before the seconds a large component takes to
//! compile, and before a changed type could surface at a function's first
//! call as "failed to convert function to given type".

use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{Function, Interface, Resolve, Type, TypeDefKind, WorldId, WorldItem};

use super::{WORLDS, v0_1_0, v1_0_0};

/// Every published world with its WIT file, oldest first.
const PUBLISHED: [(&str, &str); 2] = [
    (v0_1_0::WORLD, include_str!("../../../wit/v0.1.0/county.wit")),
    (v1_0_0::WORLD, include_str!("../../../wit/v1.0.0/county.wit")),
];

/// Which published world `bytes` implements, or every way it does not: the
/// world is read from the version of the `qianyue:county` interfaces it
/// exports, then each function the world has must be there with the world's
/// parameters and result.
pub fn world_of(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.starts_with(b"\0asm\x01\0\0\0") {
        return Err("it is a core WebAssembly module, not a component; build a component \
                    (`cargo build --target wasm32-wasip2`, componentize-py, componentize-js)"
            .into());
    }
    let (component, world) = match decode(bytes) {
        Ok(DecodedWasm::Component(resolve, world)) => (resolve, world),
        Ok(DecodedWasm::WitPackage(..)) => {
            return Err("it holds WIT types, not a component; build a component from them".into());
        }
        Err(e) => return Err(format!("it is not a WebAssembly component ({e:#})")),
    };
    let version = exports(&component, world).map(|(version, _)| version).next();
    let Some(version) = version else {
        return Err(format!(
            "it exports no `qianyue:county` interface; build it for one of the worlds {}",
            WORLDS.join(", ")
        ));
    };
    let Some(&(name, wit)) = PUBLISHED.iter().find(|(name, _)| name.ends_with(&format!("@{version}"))) else {
        return Err(format!(
            "it is built for qianyue:county@{version}, which this kernel does not know (it loads {})",
            WORLDS.join(", ")
        ));
    };
    let mut published = Resolve::default();
    let package = published.push_str("county.wit", wit).map_err(|e| format!("the kernel's own {name}: {e:#}"))?;
    let wanted = published.select_world(&[package], Some("county-plugin")).map_err(|e| format!("{name}: {e:#}"))?;
    let problems = differences(&published, wanted, &component, world, &version);
    if problems.is_empty() { Ok(name) } else { Err(format!("it does not match {name}: {}", problems.join("; "))) }
}

/// The `qianyue:county` interfaces a world exports, with their version.
fn exports(resolve: &Resolve, world: WorldId) -> impl Iterator<Item = (String, &Interface)> {
    resolve.worlds[world].exports.values().filter_map(|item| {
        let WorldItem::Interface { id, .. } = item else { return None };
        let interface = &resolve.interfaces[*id];
        let package = &resolve.packages[interface.package?].name;
        (package.namespace == "qianyue" && package.name == "county")
            .then(|| (package.version.as_ref().map_or_else(String::new, ToString::to_string), interface))
    })
}

/// Each function of the published world the component lacks or types
/// otherwise, as one sentence naming `interface.function`.
fn differences(
    published: &Resolve,
    wanted: WorldId,
    component: &Resolve,
    world: WorldId,
    version: &str,
) -> Vec<String> {
    let given: Vec<&Interface> = exports(component, world).filter(|(v, _)| v == version).map(|(_, i)| i).collect();
    let mut problems = Vec::new();
    for (_, interface) in exports(published, wanted) {
        let name = interface.name.as_deref().unwrap_or_default();
        let Some(theirs) = given.iter().find(|i| i.name.as_deref() == Some(name)) else {
            problems.push(format!("it does not export `{name}`"));
            continue;
        };
        for (function, want) in &interface.functions {
            let at = format!("`{name}.{function}`");
            match theirs.functions.get(function) {
                None => problems.push(format!("{at} is missing")),
                Some(got) => problems.extend(
                    function_differs(published, want, component, got).map(|problem| format!("{at}: {problem}")),
                ),
            }
        }
    }
    problems
}

/// How a function's parameters or result differ from the world's, if they do.
fn function_differs(published: &Resolve, want: &Function, component: &Resolve, got: &Function) -> Option<String> {
    let names = |f: &Function| f.params.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    if names(want) != names(got) {
        return Some(format!("it takes ({}) where the world has ({})", names(got).join(", "), names(want).join(", ")));
    }
    let types = Types { published, component };
    for (w, g) in want.params.iter().zip(&got.params) {
        if let Err(problem) = types.same(w.ty, g.ty) {
            return Some(format!("in its parameter `{}`, {problem}", w.name));
        }
    }
    match (want.result, got.result) {
        (None, None) => None,
        (Some(w), Some(g)) => types.same(w, g).err().map(|problem| format!("in its result, {problem}")),
        (Some(_), None) => Some("it returns nothing where the world returns a value".into()),
        (None, Some(_)) => Some("it returns a value where the world returns nothing".into()),
    }
}

/// The two sides of a comparison: types are ids into their own `Resolve`.
struct Types<'a> {
    published: &'a Resolve,
    component: &'a Resolve,
}

impl Types<'_> {
    /// `Ok` when the component's type `got` has the shape of the world's
    /// `want`: the same fields, cases and flags, named and ordered alike.
    /// Type names themselves are not compared, since the canonical ABI does
    /// not carry them.
    fn same(&self, want: Type, got: Type) -> Result<(), String> {
        let (want, got) = (unaliased(self.published, want), unaliased(self.component, got));
        let (Type::Id(w), Type::Id(g)) = (want, got) else {
            return if want == got { Ok(()) } else { Err(self.mismatch(want, got)) };
        };
        let (wdef, gdef) = (&self.published.types[w], &self.component.types[g]);
        let label = shown(self.published, want);
        match (&wdef.kind, &gdef.kind) {
            (TypeDefKind::Record(w), TypeDefKind::Record(g)) => {
                let names = |fields: &[wit_parser::Field]| fields.iter().map(|f| f.name.clone()).collect();
                named_alike(&label, "field", names(&w.fields), names(&g.fields))?;
                for (wf, gf) in w.fields.iter().zip(&g.fields) {
                    self.same(wf.ty, gf.ty).map_err(|e| format!("in field `{}` of {label}, {e}", wf.name))?;
                }
                Ok(())
            }
            (TypeDefKind::Variant(w), TypeDefKind::Variant(g)) => {
                let names = |cases: &[wit_parser::Case]| cases.iter().map(|c| c.name.clone()).collect();
                named_alike(&label, "case", names(&w.cases), names(&g.cases))?;
                for (wc, gc) in w.cases.iter().zip(&g.cases) {
                    self.same_payload(wc.ty, gc.ty).map_err(|e| format!("in case `{}` of {label}, {e}", wc.name))?;
                }
                Ok(())
            }
            (TypeDefKind::Enum(w), TypeDefKind::Enum(g)) => {
                let names = |cases: &[wit_parser::EnumCase]| cases.iter().map(|c| c.name.clone()).collect();
                named_alike(&label, "case", names(&w.cases), names(&g.cases))
            }
            (TypeDefKind::Flags(w), TypeDefKind::Flags(g)) => {
                let names = |flags: &[wit_parser::Flag]| flags.iter().map(|f| f.name.clone()).collect();
                named_alike(&label, "flag", names(&w.flags), names(&g.flags))
            }
            (TypeDefKind::Tuple(w), TypeDefKind::Tuple(g)) if w.types.len() == g.types.len() => {
                w.types.iter().zip(&g.types).try_for_each(|(w, g)| self.same(*w, *g))
            }
            (TypeDefKind::Option(w), TypeDefKind::Option(g)) | (TypeDefKind::List(w), TypeDefKind::List(g)) => {
                self.same(*w, *g)
            }
            (TypeDefKind::Result(w), TypeDefKind::Result(g)) => {
                self.same_payload(w.ok, g.ok)?;
                self.same_payload(w.err, g.err)
            }
            // The published worlds use none of the other kinds.
            _ => Err(self.mismatch(want, got)),
        }
    }

    fn same_payload(&self, want: Option<Type>, got: Option<Type>) -> Result<(), String> {
        match (want, got) {
            (None, None) => Ok(()),
            (Some(w), Some(g)) => self.same(w, g),
            (Some(w), None) => Err(format!("it carries nothing where the world carries {}", shown(self.published, w))),
            (None, Some(g)) => Err(format!("it carries {} where the world carries nothing", shown(self.component, g))),
        }
    }

    fn mismatch(&self, want: Type, got: Type) -> String {
        format!("it has {} where the world has {}", shown(self.component, got), shown(self.published, want))
    }
}

/// `Ok` when a record's fields (a variant's cases, an enum's, the flags)
/// are the world's, in its order; otherwise the first difference.
fn named_alike(label: &str, what: &str, want: Vec<String>, got: Vec<String>) -> Result<(), String> {
    if let Some(extra) = got.iter().find(|name| !want.contains(name)) {
        return Err(format!("{label} has a {what} `{extra}` the world does not have"));
    }
    if let Some(missing) = want.iter().find(|name| !got.contains(name)) {
        return Err(format!("{label} lacks the {what} `{missing}`"));
    }
    if want != got {
        return Err(format!(
            "{label} has its {what}s in the order {} where the world has {}",
            got.join(", "),
            want.join(", ")
        ));
    }
    Ok(())
}

/// `t` with every `type a = b` alias followed to what it names.
fn unaliased(resolve: &Resolve, mut t: Type) -> Type {
    while let Type::Id(id) = t
        && let TypeDefKind::Type(inner) = resolve.types[id].kind
    {
        t = inner;
    }
    t
}

/// A type as a county programmer reads it in WIT: `record quote`, `s64`,
/// `list<string>`.
fn shown(resolve: &Resolve, t: Type) -> String {
    let id = match unaliased(resolve, t) {
        Type::Id(id) => id,
        Type::Bool => return "bool".into(),
        Type::U8 => return "u8".into(),
        Type::U16 => return "u16".into(),
        Type::U32 => return "u32".into(),
        Type::U64 => return "u64".into(),
        Type::S8 => return "s8".into(),
        Type::S16 => return "s16".into(),
        Type::S32 => return "s32".into(),
        Type::S64 => return "s64".into(),
        Type::F32 => return "f32".into(),
        Type::F64 => return "f64".into(),
        Type::Char => return "char".into(),
        Type::String => return "string".into(),
        Type::ErrorContext => return "error-context".into(),
    };
    let def = &resolve.types[id];
    match (&def.name, &def.kind) {
        (Some(name), kind) => format!("{} `{name}`", kind.as_str()),
        (None, TypeDefKind::List(t)) => format!("list<{}>", shown(resolve, *t)),
        (None, TypeDefKind::Option(t)) => format!("option<{}>", shown(resolve, *t)),
        (None, kind) => kind.as_str().to_owned(),
    }
}
