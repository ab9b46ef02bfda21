//! `labelled_enum!`: closed vocabularies whose values have one stable snake_case label.
//!
//! The label is what is stored, logged and typed on the command line; parsing names the
//! field and lists the accepted labels, so every refusal tells the user what to write.

#[macro_export]
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(field: &str, s: &str) -> Result<Self, $crate::Invalid> {
                let key = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                match key.as_str() {
                    $($label => Ok($name::$variant),)+
                    _ => Err($crate::Invalid::new(
                        field,
                        s,
                        format!("expected {}: {}", $what, [$($label),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Invalid;
            fn from_str(s: &str) -> Result<Self, $crate::Invalid> {
                $name::parse(stringify!($name), s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.label())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(stringify!($name), &s).map_err(serde::de::Error::custom)
            }
        }
    };
}
