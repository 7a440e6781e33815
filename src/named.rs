//! `named_enum!`: an enum of a closed set of states whose one `as_str()` is both its JSON form
//! and its text. One list gives both, so a stored or reported word and the renderers cannot
//! disagree, `parse` is its exact inverse, and `ALL` lets tests walk every value. A leaf of the
//! vocabulary layer: the evidence store and the report both name their states with it.

/// `named_enum! { /// doc \n Name { Variant => "text", ... } }` defines `Name` with `ALL`,
/// `as_str`, `parse`, `Display`, a `Serialize` that writes `as_str()` and a `Deserialize` that
/// reads it back. More derives go before the name (`#[derive(PartialOrd, Ord)]`).
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value whose `as_str()` is `text`.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// From its `as_str()` name; any other text is refused with the names expected.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&text)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&text, &[$($text,)*]))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use named_enum;

// Tested through its enums (`report::model`, `evidence::kind`): a test enum here would be a
// `pub` item nothing can reach.
