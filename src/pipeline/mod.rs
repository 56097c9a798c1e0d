//! The job apiradar does, stage by stage: a [`worker`] schedules
//! [`poll`]s; a poll fetches a watch and hands the document to [`ingest`]
//! (normalize → compare → record), which [`import`] uses too for files.

pub mod import;
pub mod ingest;
pub mod poll;
pub mod worker;
