//! The application's errors, typed by what the front end should do with
//! them: a usage error (the command line or a declaration is wrong), a
//! failure, or an outcome that ran but did not go well.

use crate::config::ConfigError;
use crate::store::StoreError;
use crate::watch::WatchError;

/// What can go wrong in an application call.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request cannot be carried out as given (exit 2 on the CLI).
    #[error("{0}")]
    Usage(String),
    /// A declaration (alert channel, endpoint, caching target) was refused;
    /// the message names the config key at its start (`secret_env is …`),
    /// which a front end may reword (the CLI names the flag instead).
    #[error("{0}")]
    Declaration(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Watch(#[from] WatchError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Something failed, with what the user needs to know.
    #[error("{0}")]
    Failed(String),
    /// Something failed, with what was being done at the time.
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The command ran but failed in part (a poll, a probe, a file), and
    /// its output already says which.
    #[error("")]
    PartialFailure,
    /// `refresh --fail-on`: a new version has findings at the level.
    #[error("")]
    FindingsAtLevel,
}

/// How a front end should end after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The user asked for something that cannot be (exit 2).
    Usage,
    /// It failed (exit 1).
    Failure,
    /// It ran and failed in part; the output said why (exit 1, nothing
    /// more to print).
    Partial,
    /// Findings at the `--fail-on` level (exit 3, nothing more to print).
    FindingsAtLevel,
}

impl AppError {
    pub fn usage(message: impl Into<String>) -> AppError {
        AppError::Usage(message.into())
    }

    /// Wraps `source` with what was being done.
    pub fn context(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> AppError {
        AppError::Context {
            context: context.into(),
            source: Box::new(source),
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            AppError::Usage(_)
            | AppError::Declaration(_)
            | AppError::Watch(_)
            | AppError::Config(_) => ErrorClass::Usage,
            AppError::Store(e) if store_usage(e) => ErrorClass::Usage,
            AppError::PartialFailure => ErrorClass::Partial,
            AppError::FindingsAtLevel => ErrorClass::FindingsAtLevel,
            AppError::Store(_)
            | AppError::Io(_)
            | AppError::Failed(_)
            | AppError::Context { .. } => ErrorClass::Failure,
        }
    }
}

/// Store errors that name something the user got wrong.
pub fn store_usage(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::NoSuchWatch(_)
            | StoreError::WatchExists(_)
            | StoreError::NoSuchChannel(_)
            | StoreError::ChannelExists(_)
            | StoreError::NoSuchVersion { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_exit_code_rules() {
        assert_eq!(AppError::usage("x").class(), ErrorClass::Usage);
        assert_eq!(
            AppError::Store(StoreError::NoSuchWatch("a".into())).class(),
            ErrorClass::Usage
        );
        assert_eq!(
            AppError::Store(StoreError::NoSuchCacheTarget("a".into())).class(),
            ErrorClass::Failure
        );
        assert_eq!(
            AppError::Watch(WatchError::EmptyLocation).class(),
            ErrorClass::Usage
        );
        assert_eq!(AppError::PartialFailure.class(), ErrorClass::Partial);
        assert_eq!(
            AppError::FindingsAtLevel.class(),
            ErrorClass::FindingsAtLevel
        );
        assert_eq!(AppError::Failed("x".into()).class(), ErrorClass::Failure);
    }

    #[test]
    fn context_keeps_its_source_for_the_message_chain() {
        let e = AppError::context(
            "cannot open the database",
            std::io::Error::other("disk on fire"),
        );
        assert_eq!(e.to_string(), "cannot open the database");
        let source = std::error::Error::source(&e).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("disk on fire"));
    }
}
