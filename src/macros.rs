//! Small macros shared by the builders.

/// A consuming builder setter that stores its argument (optionally mapped)
/// in `self.opts.<name>`, so each option is written once with its docs.
macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty $(=> $map:expr)?) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            $(let value = $map(value);)?
            self.opts.$name = value;
            self
        }
    };
}
