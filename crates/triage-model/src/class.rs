use std::{fmt, str::FromStr};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a post is, for the people who read the feeds.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// The author concretely offers help: shelter, rides, supplies, volunteering, blood.
    Offer,
    /// Someone asks for shelter, a ride or help, for themselves or others.
    Request,
    /// A specific person is missing, or a missing person was found or is safe.
    Missing,
    /// Sympathy, prayers, solidarity, tributes.
    Support,
    /// Situational information: instructions, facts, casualties, eyewitness reports, advice, hotlines.
    Info,
    /// Irrelevant, spam, jokes, opinion with no information, ads.
    Noise,
}

impl Class {
    /// Every class, in the order used for score vectors and topic creation.
    pub const ALL: [Class; 6] = [
        Class::Offer,
        Class::Request,
        Class::Missing,
        Class::Support,
        Class::Info,
        Class::Noise,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Class::Offer => "offer",
            Class::Request => "request",
            Class::Missing => "missing",
            Class::Support => "support",
            Class::Info => "info",
            Class::Noise => "noise",
        }
    }

    /// Position of the class in [`Class::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown class `{0}` (expected one of offer, request, missing, support, info, noise)")]
pub struct ParseClassError(pub String);

impl FromStr for Class {
    type Err = ParseClassError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Class::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseClassError(s.to_owned()))
    }
}
