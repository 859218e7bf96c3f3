//! What the analyst does next with the segments (rules A1-A3 of
//! `docs/rules.md`, from the seeds): the profile of what each segment buys
//! and through which channel ([`profile`], A1), the concentration of revenue
//! on the best customers ([`concentration`], A2), and the actions suggested
//! per segment ([`playbook`], A3).

mod by_values;
pub mod concentration;
mod keyed;
pub mod playbook;
pub mod profile;
