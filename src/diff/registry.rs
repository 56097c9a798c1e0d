//! The check ids apiradar reports, each declared once as a [`Check`]
//! constant with its default level, the family of checks that reports it
//! and the side of the exchange it concerns.
//!
//! The ids and levels are those of oasdiff (its `checker/` package), so
//! ignore lists and CI rules written for oasdiff keep working; the
//! directions are oasdiff's tags. This table is the one place a check's
//! level is decided: a check emits a constant from here, never a string it
//! composed, and [`ALL`] lists every constant.

use super::Level;

/// One check: what [`super::Emitter::emit`] is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Check {
    /// The oasdiff check id, e.g. `request-parameter-removed`.
    pub id: &'static str,
    /// The default level of its findings.
    pub level: Level,
    pub family: Family,
    pub direction: Direction,
}

/// The family of checks a check belongs to: the file under `diff/checks/`
/// that reports it (or would, for the ids apiradar knows but does not
/// report yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `checks/components.rs`: reusable components.
    Components,
    /// `checks/content.rs`: media types of request bodies and responses.
    Content,
    /// `checks/endpoints.rs`: operations added, removed, deprecated, their
    /// ids, tags and stability.
    Endpoints,
    /// `checks/parameters.rs`: request parameters.
    Parameters,
    /// `checks/request_body.rs`: the request body itself.
    RequestBody,
    /// `checks/responses.rs`: status codes and response headers.
    Responses,
    /// `checks/schema/`: schemas of bodies, parameters and their properties.
    Schema,
    /// `checks/security.rs`: security requirements and schemes.
    Security,
    /// `checks/mod.rs`: OpenAPI 3.1 webhooks added and removed.
    Webhooks,
    /// oasdiff's versioning policy on `info.version`; no check reports it.
    Versioning,
}

/// Which side of an exchange a check concerns (oasdiff's direction tag):
/// what clients send, what they receive, or neither (the API as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Request,
    Response,
    Neither,
}

/// Declares one constant per row, and [`ALL`] and [`CHECKS`] listing them
/// in the order written (sorted by id; a test holds that).
macro_rules! checks {
    ($(pub const $name:ident = ($id:literal, $level:ident, $family:ident, $direction:ident);)*) => {
        $(
            #[doc = concat!(
                "`", $id, "`: ", stringify!($level), ", ", stringify!($family), ", ",
                stringify!($direction), "."
            )]
            pub const $name: Check = Check {
                id: $id,
                level: Level::$level,
                family: Family::$family,
                direction: Direction::$direction,
            };
        )*

        /// Every check, sorted by id.
        pub const ALL: &[Check] = &[$($name),*];

        /// `(id, default level)` of every check, sorted by id: [`ALL`] in
        /// the shape of the JSON and page checks' tables (see [`level_in`]).
        pub const CHECKS: &[(&str, Level)] = &[$(($id, Level::$level)),*];
    };
}

// One row per check: constant, id, default level, family, direction.
checks! {
    pub const API_DEPRECATED_SUNSET_MISSING = ("api-deprecated-sunset-missing", Error, Endpoints, Neither);
    pub const API_DEPRECATED_SUNSET_PARSE = ("api-deprecated-sunset-parse", Error, Endpoints, Neither);
    pub const API_GLOBAL_SECURITY_ADDED = ("api-global-security-added", Info, Security, Neither);
    pub const API_GLOBAL_SECURITY_REMOVED = ("api-global-security-removed", Info, Security, Neither);
    pub const API_GLOBAL_SECURITY_SCOPE_ADDED = ("api-global-security-scope-added", Info, Security, Neither);
    pub const API_GLOBAL_SECURITY_SCOPE_REMOVED = ("api-global-security-scope-removed", Info, Security, Neither);
    pub const API_INVALID_STABILITY_LEVEL = ("api-invalid-stability-level", Error, Endpoints, Neither);
    pub const API_MAJOR_VERSION_NOT_BUMPED = ("api-major-version-not-bumped", Info, Versioning, Neither);
    pub const API_OPERATION_ID_ADDED = ("api-operation-id-added", Info, Endpoints, Neither);
    pub const API_OPERATION_ID_REMOVED = ("api-operation-id-removed", Info, Endpoints, Neither);
    pub const API_PATH_REMOVED_BEFORE_SUNSET = ("api-path-removed-before-sunset", Error, Endpoints, Neither);
    pub const API_PATH_REMOVED_WITH_DEPRECATION = ("api-path-removed-with-deprecation", Info, Endpoints, Neither);
    pub const API_PATH_REMOVED_WITHOUT_DEPRECATION = ("api-path-removed-without-deprecation", Error, Endpoints, Neither);
    pub const API_PATH_SUNSET_PARSE = ("api-path-sunset-parse", Error, Endpoints, Neither);
    pub const API_REMOVED_BEFORE_SUNSET = ("api-removed-before-sunset", Error, Endpoints, Neither);
    pub const API_REMOVED_WITH_DEPRECATION = ("api-removed-with-deprecation", Info, Endpoints, Neither);
    pub const API_REMOVED_WITHOUT_DEPRECATION = ("api-removed-without-deprecation", Error, Endpoints, Neither);
    pub const API_SCHEMA_REMOVED = ("api-schema-removed", Info, Components, Neither);
    pub const API_SECURITY_ADDED = ("api-security-added", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_ADDED = ("api-security-component-added", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_OAUTH_SCOPE_ADDED = ("api-security-component-oauth-scope-added", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_OAUTH_SCOPE_CHANGED = ("api-security-component-oauth-scope-changed", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_OAUTH_SCOPE_REMOVED = ("api-security-component-oauth-scope-removed", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_OAUTH_TOKEN_URL_CHANGED = ("api-security-component-oauth-token-url-changed", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_OAUTH_URL_CHANGED = ("api-security-component-oauth-url-changed", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_REMOVED = ("api-security-component-removed", Info, Security, Neither);
    pub const API_SECURITY_COMPONENT_TYPE_CHANGED = ("api-security-component-type-changed", Info, Security, Neither);
    pub const API_SECURITY_REMOVED = ("api-security-removed", Info, Security, Neither);
    pub const API_SECURITY_SCOPE_ADDED = ("api-security-scope-added", Info, Security, Neither);
    pub const API_SECURITY_SCOPE_REMOVED = ("api-security-scope-removed", Info, Security, Neither);
    pub const API_STABILITY_DECREASED = ("api-stability-decreased", Error, Endpoints, Neither);
    pub const API_STABILITY_INCREASED = ("api-stability-increased", Info, Endpoints, Neither);
    pub const API_SUNSET_DATE_CHANGED_TOO_SMALL = ("api-sunset-date-changed-too-small", Error, Endpoints, Neither);
    pub const API_SUNSET_DATE_TOO_SMALL = ("api-sunset-date-too-small", Error, Endpoints, Neither);
    pub const API_TAG_ADDED = ("api-tag-added", Info, Endpoints, Neither);
    pub const API_TAG_REMOVED = ("api-tag-removed", Info, Endpoints, Neither);
    pub const API_VERSION_DECREASED = ("api-version-decreased", Info, Versioning, Neither);
    pub const API_VERSION_NOT_BUMPED = ("api-version-not-bumped", Info, Versioning, Neither);
    pub const ENDPOINT_ADDED = ("endpoint-added", Info, Endpoints, Neither);
    pub const ENDPOINT_DEPRECATED = ("endpoint-deprecated", Info, Endpoints, Neither);
    pub const ENDPOINT_DEPRECATED_WITH_SUNSET = ("endpoint-deprecated-with-sunset", Info, Endpoints, Neither);
    pub const ENDPOINT_REACTIVATED = ("endpoint-reactivated", Info, Endpoints, Neither);
    pub const NEW_OPTIONAL_REQUEST_DEFAULT_PARAMETER_TO_EXISTING_PATH = ("new-optional-request-default-parameter-to-existing-path", Info, Parameters, Request);
    pub const NEW_OPTIONAL_REQUEST_PARAMETER = ("new-optional-request-parameter", Info, Parameters, Request);
    pub const NEW_OPTIONAL_REQUEST_PROPERTY = ("new-optional-request-property", Info, Schema, Request);
    pub const NEW_REQUEST_PATH_PARAMETER = ("new-request-path-parameter", Error, Parameters, Request);
    pub const NEW_REQUIRED_REQUEST_DEFAULT_PARAMETER_TO_EXISTING_PATH = ("new-required-request-default-parameter-to-existing-path", Error, Parameters, Request);
    pub const NEW_REQUIRED_REQUEST_HEADER_PROPERTY = ("new-required-request-header-property", Error, Parameters, Request);
    pub const NEW_REQUIRED_REQUEST_PARAMETER = ("new-required-request-parameter", Error, Parameters, Request);
    pub const NEW_REQUIRED_REQUEST_PROPERTY = ("new-required-request-property", Error, Schema, Request);
    pub const NEW_REQUIRED_REQUEST_PROPERTY_WITH_DEFAULT = ("new-required-request-property-with-default", Error, Schema, Request);
    pub const OPTIONAL_RESPONSE_HEADER_REMOVED = ("optional-response-header-removed", Warning, Responses, Response);
    pub const REQUEST_BODY_ADDED_OPTIONAL = ("request-body-added-optional", Info, RequestBody, Request);
    pub const REQUEST_BODY_ADDED_REQUIRED = ("request-body-added-required", Error, RequestBody, Request);
    pub const REQUEST_BODY_ALL_OF_ADDED = ("request-body-all-of-added", Error, Schema, Request);
    pub const REQUEST_BODY_ALL_OF_ADDED_ANNOTATION_ONLY = ("request-body-all-of-added-annotation-only", Info, Schema, Request);
    pub const REQUEST_BODY_ALL_OF_REMOVED = ("request-body-all-of-removed", Warning, Schema, Request);
    pub const REQUEST_BODY_ALL_OF_REMOVED_ANNOTATION_ONLY = ("request-body-all-of-removed-annotation-only", Info, Schema, Request);
    pub const REQUEST_BODY_ANY_OF_ADDED = ("request-body-any-of-added", Info, Schema, Request);
    pub const REQUEST_BODY_ANY_OF_REMOVED = ("request-body-any-of-removed", Error, Schema, Request);
    pub const REQUEST_BODY_BECAME_ENUM = ("request-body-became-enum", Error, Schema, Request);
    pub const REQUEST_BODY_BECAME_NOT_NULLABLE = ("request-body-became-not-nullable", Error, Schema, Request);
    pub const REQUEST_BODY_BECAME_NULLABLE = ("request-body-became-nullable", Info, Schema, Request);
    pub const REQUEST_BODY_BECAME_OPTIONAL = ("request-body-became-optional", Info, RequestBody, Request);
    pub const REQUEST_BODY_BECAME_REQUIRED = ("request-body-became-required", Error, RequestBody, Request);
    pub const REQUEST_BODY_CONST_ADDED = ("request-body-const-added", Error, Schema, Request);
    pub const REQUEST_BODY_CONST_CHANGED = ("request-body-const-changed", Error, Schema, Request);
    pub const REQUEST_BODY_CONST_REMOVED = ("request-body-const-removed", Info, Schema, Request);
    pub const REQUEST_BODY_CONTAINS_ADDED = ("request-body-contains-added", Error, Schema, Request);
    pub const REQUEST_BODY_CONTAINS_REMOVED = ("request-body-contains-removed", Info, Schema, Request);
    pub const REQUEST_BODY_CONTENT_ENCODING_CHANGED = ("request-body-content-encoding-changed", Error, Schema, Request);
    pub const REQUEST_BODY_CONTENT_MEDIA_TYPE_CHANGED = ("request-body-content-media-type-changed", Error, Schema, Request);
    pub const REQUEST_BODY_CONTENT_SCHEMA_ADDED = ("request-body-content-schema-added", Error, Schema, Request);
    pub const REQUEST_BODY_CONTENT_SCHEMA_REMOVED = ("request-body-content-schema-removed", Info, Schema, Request);
    pub const REQUEST_BODY_DEFAULT_VALUE_ADDED = ("request-body-default-value-added", Info, Schema, Request);
    pub const REQUEST_BODY_DEFAULT_VALUE_CHANGED = ("request-body-default-value-changed", Info, Schema, Request);
    pub const REQUEST_BODY_DEFAULT_VALUE_REMOVED = ("request-body-default-value-removed", Info, Schema, Request);
    pub const REQUEST_BODY_DEPENDENT_REQUIRED_ADDED = ("request-body-dependent-required-added", Error, Schema, Request);
    pub const REQUEST_BODY_DEPENDENT_REQUIRED_CHANGED = ("request-body-dependent-required-changed", Error, Schema, Request);
    pub const REQUEST_BODY_DEPENDENT_REQUIRED_REMOVED = ("request-body-dependent-required-removed", Info, Schema, Request);
    pub const REQUEST_BODY_DEPENDENT_SCHEMA_ADDED = ("request-body-dependent-schema-added", Error, Schema, Request);
    pub const REQUEST_BODY_DEPENDENT_SCHEMA_REMOVED = ("request-body-dependent-schema-removed", Info, Schema, Request);
    pub const REQUEST_BODY_DISCRIMINATOR_ADDED = ("request-body-discriminator-added", Info, Schema, Request);
    pub const REQUEST_BODY_DISCRIMINATOR_MAPPING_ADDED = ("request-body-discriminator-mapping-added", Info, Schema, Request);
    pub const REQUEST_BODY_DISCRIMINATOR_MAPPING_CHANGED = ("request-body-discriminator-mapping-changed", Info, Schema, Request);
    pub const REQUEST_BODY_DISCRIMINATOR_MAPPING_DELETED = ("request-body-discriminator-mapping-deleted", Info, Schema, Request);
    pub const REQUEST_BODY_DISCRIMINATOR_PROPERTY_NAME_CHANGED = ("request-body-discriminator-property-name-changed", Info, Schema, Request);
    pub const REQUEST_BODY_DISCRIMINATOR_REMOVED = ("request-body-discriminator-removed", Info, Schema, Request);
    pub const REQUEST_BODY_ELSE_ADDED = ("request-body-else-added", Error, Schema, Request);
    pub const REQUEST_BODY_ELSE_REMOVED = ("request-body-else-removed", Info, Schema, Request);
    pub const REQUEST_BODY_ENUM_VALUE_REMOVED = ("request-body-enum-value-removed", Error, Schema, Request);
    pub const REQUEST_BODY_EXCLUSIVE_MAX_DECREASED = ("request-body-exclusive-max-decreased", Error, Schema, Request);
    pub const REQUEST_BODY_EXCLUSIVE_MAX_INCREASED = ("request-body-exclusive-max-increased", Info, Schema, Request);
    pub const REQUEST_BODY_EXCLUSIVE_MAX_SET = ("request-body-exclusive-max-set", Warning, Schema, Request);
    pub const REQUEST_BODY_EXCLUSIVE_MIN_DECREASED = ("request-body-exclusive-min-decreased", Info, Schema, Request);
    pub const REQUEST_BODY_EXCLUSIVE_MIN_INCREASED = ("request-body-exclusive-min-increased", Error, Schema, Request);
    pub const REQUEST_BODY_EXCLUSIVE_MIN_SET = ("request-body-exclusive-min-set", Warning, Schema, Request);
    pub const REQUEST_BODY_IF_ADDED = ("request-body-if-added", Error, Schema, Request);
    pub const REQUEST_BODY_IF_REMOVED = ("request-body-if-removed", Info, Schema, Request);
    pub const REQUEST_BODY_LIST_OF_TYPES_NARROWED = ("request-body-list-of-types-narrowed", Error, Schema, Request);
    pub const REQUEST_BODY_LIST_OF_TYPES_WIDENED = ("request-body-list-of-types-widened", Info, Schema, Request);
    pub const REQUEST_BODY_MAX_CONTAINS_DECREASED = ("request-body-max-contains-decreased", Error, Schema, Request);
    pub const REQUEST_BODY_MAX_CONTAINS_INCREASED = ("request-body-max-contains-increased", Info, Schema, Request);
    pub const REQUEST_BODY_MAX_DECREASED = ("request-body-max-decreased", Error, Schema, Request);
    pub const REQUEST_BODY_MAX_INCREASED = ("request-body-max-increased", Info, Schema, Request);
    pub const REQUEST_BODY_MAX_LENGTH_DECREASED = ("request-body-max-length-decreased", Error, Schema, Request);
    pub const REQUEST_BODY_MAX_LENGTH_INCREASED = ("request-body-max-length-increased", Info, Schema, Request);
    pub const REQUEST_BODY_MAX_LENGTH_SET = ("request-body-max-length-set", Warning, Schema, Request);
    pub const REQUEST_BODY_MAX_SET = ("request-body-max-set", Warning, Schema, Request);
    pub const REQUEST_BODY_MEDIA_TYPE_ADDED = ("request-body-media-type-added", Info, Content, Request);
    pub const REQUEST_BODY_MEDIA_TYPE_REMOVED = ("request-body-media-type-removed", Error, Content, Request);
    pub const REQUEST_BODY_MEDIA_TYPE_SCHEMA_ADDED = ("request-body-media-type-schema-added", Error, Content, Request);
    pub const REQUEST_BODY_MEDIA_TYPE_SCHEMA_REMOVED = ("request-body-media-type-schema-removed", Info, Content, Request);
    pub const REQUEST_BODY_MIN_CONTAINS_DECREASED = ("request-body-min-contains-decreased", Info, Schema, Request);
    pub const REQUEST_BODY_MIN_CONTAINS_INCREASED = ("request-body-min-contains-increased", Error, Schema, Request);
    pub const REQUEST_BODY_MIN_DECREASED = ("request-body-min-decreased", Info, Schema, Request);
    pub const REQUEST_BODY_MIN_INCREASED = ("request-body-min-increased", Error, Schema, Request);
    pub const REQUEST_BODY_MIN_ITEMS_INCREASED = ("request-body-min-items-increased", Error, Schema, Request);
    pub const REQUEST_BODY_MIN_ITEMS_SET = ("request-body-min-items-set", Warning, Schema, Request);
    pub const REQUEST_BODY_MIN_LENGTH_DECREASED = ("request-body-min-length-decreased", Info, Schema, Request);
    pub const REQUEST_BODY_MIN_LENGTH_INCREASED = ("request-body-min-length-increased", Error, Schema, Request);
    pub const REQUEST_BODY_MIN_SET = ("request-body-min-set", Warning, Schema, Request);
    pub const REQUEST_BODY_ONE_OF_ADDED = ("request-body-one-of-added", Info, Schema, Request);
    pub const REQUEST_BODY_ONE_OF_REMOVED = ("request-body-one-of-removed", Error, Schema, Request);
    pub const REQUEST_BODY_PATTERN_PROPERTY_ADDED = ("request-body-pattern-property-added", Error, Schema, Request);
    pub const REQUEST_BODY_PATTERN_PROPERTY_REMOVED = ("request-body-pattern-property-removed", Info, Schema, Request);
    pub const REQUEST_BODY_PREFIX_ITEMS_ADDED = ("request-body-prefix-items-added", Info, Schema, Request);
    pub const REQUEST_BODY_PREFIX_ITEMS_REMOVED = ("request-body-prefix-items-removed", Error, Schema, Request);
    pub const REQUEST_BODY_PROPERTY_NAMES_ADDED = ("request-body-property-names-added", Error, Schema, Request);
    pub const REQUEST_BODY_PROPERTY_NAMES_REMOVED = ("request-body-property-names-removed", Info, Schema, Request);
    pub const REQUEST_BODY_REMOVED = ("request-body-removed", Error, RequestBody, Request);
    pub const REQUEST_BODY_THEN_ADDED = ("request-body-then-added", Error, Schema, Request);
    pub const REQUEST_BODY_THEN_REMOVED = ("request-body-then-removed", Info, Schema, Request);
    pub const REQUEST_BODY_TYPE_CHANGED = ("request-body-type-changed", Error, Schema, Request);
    pub const REQUEST_BODY_TYPE_COMPATIBLE = ("request-body-type-compatible", Info, Schema, Request);
    pub const REQUEST_BODY_TYPE_GENERALIZED = ("request-body-type-generalized", Info, Schema, Request);
    pub const REQUEST_BODY_UNEVALUATED_ITEMS_ADDED = ("request-body-unevaluated-items-added", Error, Schema, Request);
    pub const REQUEST_BODY_UNEVALUATED_ITEMS_REMOVED = ("request-body-unevaluated-items-removed", Info, Schema, Request);
    pub const REQUEST_BODY_UNEVALUATED_PROPERTIES_ADDED = ("request-body-unevaluated-properties-added", Error, Schema, Request);
    pub const REQUEST_BODY_UNEVALUATED_PROPERTIES_REMOVED = ("request-body-unevaluated-properties-removed", Info, Schema, Request);
    pub const REQUEST_BODY_WRAPPED_IN_ONE_OF = ("request-body-wrapped-in-one-of", Error, Schema, Request);
    pub const REQUEST_HEADER_PROPERTY_BECAME_ENUM = ("request-header-property-became-enum", Error, Parameters, Request);
    pub const REQUEST_HEADER_PROPERTY_BECAME_REQUIRED = ("request-header-property-became-required", Error, Parameters, Request);
    pub const REQUEST_OPTIONAL_PROPERTY_BECAME_NOT_READ_ONLY = ("request-optional-property-became-not-read-only", Info, Schema, Request);
    pub const REQUEST_OPTIONAL_PROPERTY_BECAME_NOT_WRITE_ONLY = ("request-optional-property-became-not-write-only", Info, Schema, Request);
    pub const REQUEST_OPTIONAL_PROPERTY_BECAME_READ_ONLY = ("request-optional-property-became-read-only", Info, Schema, Request);
    pub const REQUEST_OPTIONAL_PROPERTY_BECAME_WRITE_ONLY = ("request-optional-property-became-write-only", Info, Schema, Request);
    pub const REQUEST_PARAMETER_BECAME_ENUM = ("request-parameter-became-enum", Error, Schema, Request);
    pub const REQUEST_PARAMETER_BECAME_NOT_NULLABLE = ("request-parameter-became-not-nullable", Error, Schema, Request);
    pub const REQUEST_PARAMETER_BECAME_NULLABLE = ("request-parameter-became-nullable", Info, Schema, Request);
    pub const REQUEST_PARAMETER_BECAME_OPTIONAL = ("request-parameter-became-optional", Info, Parameters, Request);
    pub const REQUEST_PARAMETER_BECAME_REQUIRED = ("request-parameter-became-required", Error, Parameters, Request);
    pub const REQUEST_PARAMETER_DEFAULT_VALUE_ADDED = ("request-parameter-default-value-added", Error, Schema, Request);
    pub const REQUEST_PARAMETER_DEFAULT_VALUE_CHANGED = ("request-parameter-default-value-changed", Error, Schema, Request);
    pub const REQUEST_PARAMETER_DEFAULT_VALUE_REMOVED = ("request-parameter-default-value-removed", Error, Schema, Request);
    pub const REQUEST_PARAMETER_DEPRECATED = ("request-parameter-deprecated", Info, Parameters, Request);
    pub const REQUEST_PARAMETER_DEPRECATED_SUNSET_MISSING = ("request-parameter-deprecated-sunset-missing", Error, Parameters, Request);
    pub const REQUEST_PARAMETER_ENUM_VALUE_ADDED = ("request-parameter-enum-value-added", Info, Schema, Request);
    pub const REQUEST_PARAMETER_ENUM_VALUE_REMOVED = ("request-parameter-enum-value-removed", Error, Schema, Request);
    pub const REQUEST_PARAMETER_EXCLUSIVE_MAX_DECREASED = ("request-parameter-exclusive-max-decreased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_EXCLUSIVE_MAX_INCREASED = ("request-parameter-exclusive-max-increased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_EXCLUSIVE_MAX_SET = ("request-parameter-exclusive-max-set", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_EXCLUSIVE_MIN_DECREASED = ("request-parameter-exclusive-min-decreased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_EXCLUSIVE_MIN_INCREASED = ("request-parameter-exclusive-min-increased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_EXCLUSIVE_MIN_SET = ("request-parameter-exclusive-min-set", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_LIST_OF_TYPES_NARROWED = ("request-parameter-list-of-types-narrowed", Error, Schema, Request);
    pub const REQUEST_PARAMETER_LIST_OF_TYPES_WIDENED = ("request-parameter-list-of-types-widened", Info, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_DECREASED = ("request-parameter-max-decreased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_INCREASED = ("request-parameter-max-increased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_ITEMS_DECREASED = ("request-parameter-max-items-decreased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_ITEMS_INCREASED = ("request-parameter-max-items-increased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_LENGTH_DECREASED = ("request-parameter-max-length-decreased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_LENGTH_INCREASED = ("request-parameter-max-length-increased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_LENGTH_SET = ("request-parameter-max-length-set", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_MAX_SET = ("request-parameter-max-set", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_DECREASED = ("request-parameter-min-decreased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_INCREASED = ("request-parameter-min-increased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_ITEMS_DECREASED = ("request-parameter-min-items-decreased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_ITEMS_INCREASED = ("request-parameter-min-items-increased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_ITEMS_SET = ("request-parameter-min-items-set", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_LENGTH_DECREASED = ("request-parameter-min-length-decreased", Info, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_LENGTH_INCREASED = ("request-parameter-min-length-increased", Error, Schema, Request);
    pub const REQUEST_PARAMETER_MIN_SET = ("request-parameter-min-set", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_PATTERN_ADDED = ("request-parameter-pattern-added", Error, Schema, Request);
    pub const REQUEST_PARAMETER_PATTERN_CHANGED = ("request-parameter-pattern-changed", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_PATTERN_GENERALIZED = ("request-parameter-pattern-generalized", Info, Schema, Request);
    pub const REQUEST_PARAMETER_PATTERN_REMOVED = ("request-parameter-pattern-removed", Info, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_BECAME_NOT_NULLABLE = ("request-parameter-property-became-not-nullable", Error, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_BECAME_NULLABLE = ("request-parameter-property-became-nullable", Info, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_ENUM_VALUE_ADDED = ("request-parameter-property-enum-value-added", Info, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_ENUM_VALUE_REMOVED = ("request-parameter-property-enum-value-removed", Error, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_LIST_OF_TYPES_NARROWED = ("request-parameter-property-list-of-types-narrowed", Error, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_LIST_OF_TYPES_WIDENED = ("request-parameter-property-list-of-types-widened", Info, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_TYPE_CHANGED = ("request-parameter-property-type-changed", Warning, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_TYPE_GENERALIZED = ("request-parameter-property-type-generalized", Info, Schema, Request);
    pub const REQUEST_PARAMETER_PROPERTY_TYPE_SPECIALIZED = ("request-parameter-property-type-specialized", Error, Schema, Request);
    pub const REQUEST_PARAMETER_REACTIVATED = ("request-parameter-reactivated", Info, Parameters, Request);
    pub const REQUEST_PARAMETER_REMOVED = ("request-parameter-removed", Warning, Parameters, Request);
    pub const REQUEST_PARAMETER_REMOVED_BEFORE_SUNSET = ("request-parameter-removed-before-sunset", Error, Parameters, Request);
    pub const REQUEST_PARAMETER_REMOVED_WITH_DEPRECATION = ("request-parameter-removed-with-deprecation", Info, Parameters, Request);
    pub const REQUEST_PARAMETER_SUNSET_DATE_CHANGED_TOO_SMALL = ("request-parameter-sunset-date-changed-too-small", Error, Parameters, Request);
    pub const REQUEST_PARAMETER_SUNSET_DATE_TOO_SMALL = ("request-parameter-sunset-date-too-small", Error, Parameters, Request);
    pub const REQUEST_PARAMETER_SUNSET_DELETED = ("request-parameter-sunset-deleted", Error, Parameters, Request);
    pub const REQUEST_PARAMETER_SUNSET_PARSE = ("request-parameter-sunset-parse", Error, Parameters, Request);
    pub const REQUEST_PARAMETER_TYPE_CHANGED = ("request-parameter-type-changed", Error, Schema, Request);
    pub const REQUEST_PARAMETER_TYPE_GENERALIZED = ("request-parameter-type-generalized", Info, Schema, Request);
    pub const REQUEST_PARAMETER_X_EXTENSIBLE_ENUM_VALUE_REMOVED = ("request-parameter-x-extensible-enum-value-removed", Error, Schema, Request);
    // apiradar's own: oasdiff matches `/pets/{id}` and `/pets/{petId}`
    // but says nothing about the rename.
    pub const REQUEST_PATH_PARAMETER_RENAMED = ("request-path-parameter-renamed", Info, Parameters, Request);
    pub const REQUEST_PROPERTY_ALL_OF_ADDED = ("request-property-all-of-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_ALL_OF_ADDED_ANNOTATION_ONLY = ("request-property-all-of-added-annotation-only", Info, Schema, Request);
    pub const REQUEST_PROPERTY_ALL_OF_REMOVED = ("request-property-all-of-removed", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_ALL_OF_REMOVED_ANNOTATION_ONLY = ("request-property-all-of-removed-annotation-only", Info, Schema, Request);
    pub const REQUEST_PROPERTY_ANY_OF_ADDED = ("request-property-any-of-added", Info, Schema, Request);
    pub const REQUEST_PROPERTY_ANY_OF_REMOVED = ("request-property-any-of-removed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_BECAME_ENUM = ("request-property-became-enum", Error, Schema, Request);
    pub const REQUEST_PROPERTY_BECAME_NOT_NULLABLE = ("request-property-became-not-nullable", Error, Schema, Request);
    pub const REQUEST_PROPERTY_BECAME_NULLABLE = ("request-property-became-nullable", Info, Schema, Request);
    pub const REQUEST_PROPERTY_BECAME_OPTIONAL = ("request-property-became-optional", Info, Schema, Request);
    pub const REQUEST_PROPERTY_BECAME_REQUIRED = ("request-property-became-required", Error, Schema, Request);
    pub const REQUEST_PROPERTY_BECAME_REQUIRED_WITH_DEFAULT = ("request-property-became-required-with-default", Error, Schema, Request);
    pub const REQUEST_PROPERTY_CONST_ADDED = ("request-property-const-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_CONST_CHANGED = ("request-property-const-changed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_CONST_REMOVED = ("request-property-const-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_CONTAINS_ADDED = ("request-property-contains-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_CONTAINS_REMOVED = ("request-property-contains-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_CONTENT_ENCODING_CHANGED = ("request-property-content-encoding-changed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_CONTENT_MEDIA_TYPE_CHANGED = ("request-property-content-media-type-changed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_CONTENT_SCHEMA_ADDED = ("request-property-content-schema-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_CONTENT_SCHEMA_REMOVED = ("request-property-content-schema-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DEFAULT_VALUE_ADDED = ("request-property-default-value-added", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DEFAULT_VALUE_CHANGED = ("request-property-default-value-changed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DEFAULT_VALUE_REMOVED = ("request-property-default-value-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DEPENDENT_REQUIRED_ADDED = ("request-property-dependent-required-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_DEPENDENT_REQUIRED_CHANGED = ("request-property-dependent-required-changed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_DEPENDENT_REQUIRED_REMOVED = ("request-property-dependent-required-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DEPENDENT_SCHEMA_ADDED = ("request-property-dependent-schema-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_DEPENDENT_SCHEMA_REMOVED = ("request-property-dependent-schema-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DEPRECATED = ("request-property-deprecated", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DEPRECATED_SUNSET_INVALID = ("request-property-deprecated-sunset-invalid", Error, Schema, Request);
    pub const REQUEST_PROPERTY_DEPRECATED_SUNSET_MISSING = ("request-property-deprecated-sunset-missing", Error, Schema, Request);
    pub const REQUEST_PROPERTY_DEPRECATED_WITH_SUNSET = ("request-property-deprecated-with-sunset", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DISCRIMINATOR_ADDED = ("request-property-discriminator-added", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DISCRIMINATOR_MAPPING_ADDED = ("request-property-discriminator-mapping-added", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DISCRIMINATOR_MAPPING_CHANGED = ("request-property-discriminator-mapping-changed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DISCRIMINATOR_MAPPING_DELETED = ("request-property-discriminator-mapping-deleted", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DISCRIMINATOR_PROPERTY_NAME_CHANGED = ("request-property-discriminator-property-name-changed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_DISCRIMINATOR_REMOVED = ("request-property-discriminator-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_ELSE_ADDED = ("request-property-else-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_ELSE_REMOVED = ("request-property-else-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_ENUM_VALUE_ADDED = ("request-property-enum-value-added", Info, Schema, Request);
    pub const REQUEST_PROPERTY_ENUM_VALUE_REMOVED = ("request-property-enum-value-removed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_EXCLUSIVE_MAX_DECREASED = ("request-property-exclusive-max-decreased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_EXCLUSIVE_MAX_INCREASED = ("request-property-exclusive-max-increased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_EXCLUSIVE_MAX_SET = ("request-property-exclusive-max-set", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_EXCLUSIVE_MIN_DECREASED = ("request-property-exclusive-min-decreased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_EXCLUSIVE_MIN_INCREASED = ("request-property-exclusive-min-increased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_EXCLUSIVE_MIN_SET = ("request-property-exclusive-min-set", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_IF_ADDED = ("request-property-if-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_IF_REMOVED = ("request-property-if-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_LIST_OF_TYPES_NARROWED = ("request-property-list-of-types-narrowed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_LIST_OF_TYPES_WIDENED = ("request-property-list-of-types-widened", Info, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_CONTAINS_DECREASED = ("request-property-max-contains-decreased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_CONTAINS_INCREASED = ("request-property-max-contains-increased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_DECREASED = ("request-property-max-decreased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_INCREASED = ("request-property-max-increased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_LENGTH_DECREASED = ("request-property-max-length-decreased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_LENGTH_INCREASED = ("request-property-max-length-increased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_LENGTH_SET = ("request-property-max-length-set", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_MAX_SET = ("request-property-max-set", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_CONTAINS_DECREASED = ("request-property-min-contains-decreased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_CONTAINS_INCREASED = ("request-property-min-contains-increased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_DECREASED = ("request-property-min-decreased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_INCREASED = ("request-property-min-increased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_ITEMS_INCREASED = ("request-property-min-items-increased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_ITEMS_SET = ("request-property-min-items-set", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_LENGTH_DECREASED = ("request-property-min-length-decreased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_LENGTH_INCREASED = ("request-property-min-length-increased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_MIN_SET = ("request-property-min-set", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_ONE_OF_ADDED = ("request-property-one-of-added", Info, Schema, Request);
    pub const REQUEST_PROPERTY_ONE_OF_REMOVED = ("request-property-one-of-removed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_PATTERN_ADDED = ("request-property-pattern-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_PATTERN_CHANGED = ("request-property-pattern-changed", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_PATTERN_GENERALIZED = ("request-property-pattern-generalized", Info, Schema, Request);
    pub const REQUEST_PROPERTY_PATTERN_PROPERTY_ADDED = ("request-property-pattern-property-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_PATTERN_PROPERTY_REMOVED = ("request-property-pattern-property-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_PATTERN_REMOVED = ("request-property-pattern-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_PREFIX_ITEMS_ADDED = ("request-property-prefix-items-added", Info, Schema, Request);
    pub const REQUEST_PROPERTY_PREFIX_ITEMS_REMOVED = ("request-property-prefix-items-removed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_PROPERTY_NAMES_ADDED = ("request-property-property-names-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_PROPERTY_NAMES_REMOVED = ("request-property-property-names-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_REACTIVATED = ("request-property-reactivated", Info, Schema, Request);
    pub const REQUEST_PROPERTY_REMOVED = ("request-property-removed", Warning, Schema, Request);
    pub const REQUEST_PROPERTY_STABILITY_DECREASED = ("request-property-stability-decreased", Error, Schema, Request);
    pub const REQUEST_PROPERTY_STABILITY_INCREASED = ("request-property-stability-increased", Info, Schema, Request);
    pub const REQUEST_PROPERTY_SUNSET_DATE_TOO_SMALL = ("request-property-sunset-date-too-small", Error, Schema, Request);
    pub const REQUEST_PROPERTY_THEN_ADDED = ("request-property-then-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_THEN_REMOVED = ("request-property-then-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_TYPE_CHANGED = ("request-property-type-changed", Error, Schema, Request);
    pub const REQUEST_PROPERTY_TYPE_COMPATIBLE = ("request-property-type-compatible", Info, Schema, Request);
    pub const REQUEST_PROPERTY_TYPE_GENERALIZED = ("request-property-type-generalized", Info, Schema, Request);
    pub const REQUEST_PROPERTY_UNEVALUATED_ITEMS_ADDED = ("request-property-unevaluated-items-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_UNEVALUATED_ITEMS_REMOVED = ("request-property-unevaluated-items-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_UNEVALUATED_PROPERTIES_ADDED = ("request-property-unevaluated-properties-added", Error, Schema, Request);
    pub const REQUEST_PROPERTY_UNEVALUATED_PROPERTIES_REMOVED = ("request-property-unevaluated-properties-removed", Info, Schema, Request);
    pub const REQUEST_PROPERTY_X_EXTENSIBLE_ENUM_VALUE_REMOVED = ("request-property-x-extensible-enum-value-removed", Error, Schema, Request);
    pub const REQUEST_READ_ONLY_PROPERTY_ENUM_VALUE_REMOVED = ("request-read-only-property-enum-value-removed", Info, Schema, Request);
    pub const REQUEST_READ_ONLY_PROPERTY_EXCLUSIVE_MAX_DECREASED = ("request-read-only-property-exclusive-max-decreased", Info, Schema, Request);
    pub const REQUEST_READ_ONLY_PROPERTY_EXCLUSIVE_MIN_INCREASED = ("request-read-only-property-exclusive-min-increased", Info, Schema, Request);
    pub const REQUEST_READ_ONLY_PROPERTY_MAX_DECREASED = ("request-read-only-property-max-decreased", Info, Schema, Request);
    pub const REQUEST_READ_ONLY_PROPERTY_MAX_LENGTH_DECREASED = ("request-read-only-property-max-length-decreased", Info, Schema, Request);
    pub const REQUEST_READ_ONLY_PROPERTY_MIN_INCREASED = ("request-read-only-property-min-increased", Info, Schema, Request);
    pub const REQUEST_REQUIRED_PROPERTY_BECAME_NOT_READ_ONLY = ("request-required-property-became-not-read-only", Info, Schema, Request);
    pub const REQUEST_REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY = ("request-required-property-became-not-write-only", Info, Schema, Request);
    pub const REQUEST_REQUIRED_PROPERTY_BECAME_READ_ONLY = ("request-required-property-became-read-only", Info, Schema, Request);
    pub const REQUEST_REQUIRED_PROPERTY_BECAME_WRITE_ONLY = ("request-required-property-became-write-only", Info, Schema, Request);
    pub const REQUIRED_RESPONSE_HEADER_REMOVED = ("required-response-header-removed", Error, Responses, Response);
    pub const RESPONSE_BODY_ALL_OF_ADDED = ("response-body-all-of-added", Info, Schema, Response);
    pub const RESPONSE_BODY_ALL_OF_ADDED_ANNOTATION_ONLY = ("response-body-all-of-added-annotation-only", Info, Schema, Response);
    pub const RESPONSE_BODY_ALL_OF_REMOVED = ("response-body-all-of-removed", Info, Schema, Response);
    pub const RESPONSE_BODY_ALL_OF_REMOVED_ANNOTATION_ONLY = ("response-body-all-of-removed-annotation-only", Info, Schema, Response);
    pub const RESPONSE_BODY_ANY_OF_ADDED = ("response-body-any-of-added", Info, Schema, Response);
    pub const RESPONSE_BODY_ANY_OF_REMOVED = ("response-body-any-of-removed", Info, Schema, Response);
    pub const RESPONSE_BODY_BECAME_NOT_NULLABLE = ("response-body-became-not-nullable", Info, Schema, Response);
    pub const RESPONSE_BODY_BECAME_NULLABLE = ("response-body-became-nullable", Error, Schema, Response);
    pub const RESPONSE_BODY_CONST_ADDED = ("response-body-const-added", Info, Schema, Response);
    pub const RESPONSE_BODY_CONST_CHANGED = ("response-body-const-changed", Error, Schema, Response);
    pub const RESPONSE_BODY_CONST_REMOVED = ("response-body-const-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_CONTAINS_ADDED = ("response-body-contains-added", Info, Schema, Response);
    pub const RESPONSE_BODY_CONTAINS_REMOVED = ("response-body-contains-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_CONTENT_ENCODING_CHANGED = ("response-body-content-encoding-changed", Error, Schema, Response);
    pub const RESPONSE_BODY_CONTENT_MEDIA_TYPE_CHANGED = ("response-body-content-media-type-changed", Error, Schema, Response);
    pub const RESPONSE_BODY_CONTENT_SCHEMA_ADDED = ("response-body-content-schema-added", Info, Schema, Response);
    pub const RESPONSE_BODY_CONTENT_SCHEMA_REMOVED = ("response-body-content-schema-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_DEFAULT_VALUE_ADDED = ("response-body-default-value-added", Info, Schema, Response);
    pub const RESPONSE_BODY_DEFAULT_VALUE_CHANGED = ("response-body-default-value-changed", Info, Schema, Response);
    pub const RESPONSE_BODY_DEFAULT_VALUE_REMOVED = ("response-body-default-value-removed", Info, Schema, Response);
    pub const RESPONSE_BODY_DEPENDENT_REQUIRED_ADDED = ("response-body-dependent-required-added", Info, Schema, Response);
    pub const RESPONSE_BODY_DEPENDENT_REQUIRED_CHANGED = ("response-body-dependent-required-changed", Error, Schema, Response);
    pub const RESPONSE_BODY_DEPENDENT_REQUIRED_REMOVED = ("response-body-dependent-required-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_DEPENDENT_SCHEMA_ADDED = ("response-body-dependent-schema-added", Info, Schema, Response);
    pub const RESPONSE_BODY_DEPENDENT_SCHEMA_REMOVED = ("response-body-dependent-schema-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_DISCRIMINATOR_ADDED = ("response-body-discriminator-added", Info, Schema, Response);
    pub const RESPONSE_BODY_DISCRIMINATOR_MAPPING_ADDED = ("response-body-discriminator-mapping-added", Info, Schema, Response);
    pub const RESPONSE_BODY_DISCRIMINATOR_MAPPING_CHANGED = ("response-body-discriminator-mapping-changed", Info, Schema, Response);
    pub const RESPONSE_BODY_DISCRIMINATOR_MAPPING_DELETED = ("response-body-discriminator-mapping-deleted", Info, Schema, Response);
    pub const RESPONSE_BODY_DISCRIMINATOR_PROPERTY_NAME_CHANGED = ("response-body-discriminator-property-name-changed", Info, Schema, Response);
    pub const RESPONSE_BODY_DISCRIMINATOR_REMOVED = ("response-body-discriminator-removed", Info, Schema, Response);
    pub const RESPONSE_BODY_ELSE_ADDED = ("response-body-else-added", Info, Schema, Response);
    pub const RESPONSE_BODY_ELSE_REMOVED = ("response-body-else-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_EXCLUSIVE_MAX_INCREASED = ("response-body-exclusive-max-increased", Error, Schema, Response);
    pub const RESPONSE_BODY_EXCLUSIVE_MIN_DECREASED = ("response-body-exclusive-min-decreased", Error, Schema, Response);
    pub const RESPONSE_BODY_IF_ADDED = ("response-body-if-added", Info, Schema, Response);
    pub const RESPONSE_BODY_IF_REMOVED = ("response-body-if-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_LIST_OF_TYPES_NARROWED = ("response-body-list-of-types-narrowed", Info, Schema, Response);
    pub const RESPONSE_BODY_LIST_OF_TYPES_WIDENED = ("response-body-list-of-types-widened", Error, Schema, Response);
    pub const RESPONSE_BODY_MAX_CONTAINS_DECREASED = ("response-body-max-contains-decreased", Info, Schema, Response);
    pub const RESPONSE_BODY_MAX_CONTAINS_INCREASED = ("response-body-max-contains-increased", Error, Schema, Response);
    pub const RESPONSE_BODY_MAX_INCREASED = ("response-body-max-increased", Error, Schema, Response);
    pub const RESPONSE_BODY_MAX_LENGTH_INCREASED = ("response-body-max-length-increased", Error, Schema, Response);
    pub const RESPONSE_BODY_MAX_LENGTH_UNSET = ("response-body-max-length-unset", Error, Schema, Response);
    pub const RESPONSE_BODY_MEDIA_TYPE_SCHEMA_ADDED = ("response-body-media-type-schema-added", Info, Content, Response);
    pub const RESPONSE_BODY_MEDIA_TYPE_SCHEMA_REMOVED = ("response-body-media-type-schema-removed", Warning, Content, Response);
    pub const RESPONSE_BODY_MIN_CONTAINS_DECREASED = ("response-body-min-contains-decreased", Error, Schema, Response);
    pub const RESPONSE_BODY_MIN_CONTAINS_INCREASED = ("response-body-min-contains-increased", Info, Schema, Response);
    pub const RESPONSE_BODY_MIN_DECREASED = ("response-body-min-decreased", Error, Schema, Response);
    pub const RESPONSE_BODY_MIN_ITEMS_DECREASED = ("response-body-min-items-decreased", Error, Schema, Response);
    pub const RESPONSE_BODY_MIN_ITEMS_UNSET = ("response-body-min-items-unset", Error, Schema, Response);
    pub const RESPONSE_BODY_MIN_LENGTH_DECREASED = ("response-body-min-length-decreased", Error, Schema, Response);
    pub const RESPONSE_BODY_ONE_OF_ADDED = ("response-body-one-of-added", Error, Schema, Response);
    pub const RESPONSE_BODY_ONE_OF_REMOVED = ("response-body-one-of-removed", Info, Schema, Response);
    pub const RESPONSE_BODY_PATTERN_PROPERTY_ADDED = ("response-body-pattern-property-added", Info, Schema, Response);
    pub const RESPONSE_BODY_PATTERN_PROPERTY_REMOVED = ("response-body-pattern-property-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_PREFIX_ITEMS_ADDED = ("response-body-prefix-items-added", Error, Schema, Response);
    pub const RESPONSE_BODY_PREFIX_ITEMS_REMOVED = ("response-body-prefix-items-removed", Info, Schema, Response);
    pub const RESPONSE_BODY_PROPERTY_NAMES_ADDED = ("response-body-property-names-added", Info, Schema, Response);
    pub const RESPONSE_BODY_PROPERTY_NAMES_REMOVED = ("response-body-property-names-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_THEN_ADDED = ("response-body-then-added", Info, Schema, Response);
    pub const RESPONSE_BODY_THEN_REMOVED = ("response-body-then-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_TYPE_CHANGED = ("response-body-type-changed", Error, Schema, Response);
    pub const RESPONSE_BODY_TYPE_COMPATIBLE = ("response-body-type-compatible", Info, Schema, Response);
    pub const RESPONSE_BODY_TYPE_GENERALIZED = ("response-body-type-generalized", Error, Schema, Response);
    pub const RESPONSE_BODY_TYPE_SPECIALIZED = ("response-body-type-specialized", Info, Schema, Response);
    pub const RESPONSE_BODY_UNEVALUATED_ITEMS_ADDED = ("response-body-unevaluated-items-added", Info, Schema, Response);
    pub const RESPONSE_BODY_UNEVALUATED_ITEMS_REMOVED = ("response-body-unevaluated-items-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_UNEVALUATED_PROPERTIES_ADDED = ("response-body-unevaluated-properties-added", Info, Schema, Response);
    pub const RESPONSE_BODY_UNEVALUATED_PROPERTIES_REMOVED = ("response-body-unevaluated-properties-removed", Error, Schema, Response);
    pub const RESPONSE_BODY_WRAPPED_IN_ONE_OF = ("response-body-wrapped-in-one-of", Error, Schema, Response);
    pub const RESPONSE_HEADER_ADDED = ("response-header-added", Info, Responses, Response);
    pub const RESPONSE_HEADER_BECAME_NOT_NULLABLE = ("response-header-became-not-nullable", Info, Responses, Response);
    pub const RESPONSE_HEADER_BECAME_NULLABLE = ("response-header-became-nullable", Error, Responses, Response);
    pub const RESPONSE_HEADER_BECAME_OPTIONAL = ("response-header-became-optional", Error, Responses, Response);
    pub const RESPONSE_HEADER_TYPE_CHANGED = ("response-header-type-changed", Error, Responses, Response);
    pub const RESPONSE_HEADER_TYPE_COMPATIBLE = ("response-header-type-compatible", Info, Responses, Response);
    pub const RESPONSE_HEADER_TYPE_GENERALIZED = ("response-header-type-generalized", Error, Responses, Response);
    pub const RESPONSE_HEADER_TYPE_SPECIALIZED = ("response-header-type-specialized", Info, Responses, Response);
    pub const RESPONSE_MEDIA_TYPE_ADDED = ("response-media-type-added", Info, Content, Response);
    pub const RESPONSE_MEDIA_TYPE_NAME_CHANGED = ("response-media-type-name-changed", Info, Content, Response);
    pub const RESPONSE_MEDIA_TYPE_NAME_GENERALIZED = ("response-media-type-name-generalized", Error, Content, Response);
    pub const RESPONSE_MEDIA_TYPE_NAME_SPECIALIZED = ("response-media-type-name-specialized", Info, Content, Response);
    pub const RESPONSE_MEDIA_TYPE_REMOVED = ("response-media-type-removed", Error, Content, Response);
    pub const RESPONSE_MEDIATYPE_ENUM_VALUE_REMOVED = ("response-mediatype-enum-value-removed", Info, Content, Response);
    pub const RESPONSE_NON_SUCCESS_STATUS_ADDED = ("response-non-success-status-added", Info, Responses, Response);
    pub const RESPONSE_NON_SUCCESS_STATUS_REMOVED = ("response-non-success-status-removed", Info, Responses, Response);
    pub const RESPONSE_OPTIONAL_PROPERTY_ADDED = ("response-optional-property-added", Info, Schema, Response);
    pub const RESPONSE_OPTIONAL_PROPERTY_BECAME_NOT_READ_ONLY = ("response-optional-property-became-not-read-only", Info, Schema, Response);
    pub const RESPONSE_OPTIONAL_PROPERTY_BECAME_NOT_WRITE_ONLY = ("response-optional-property-became-not-write-only", Info, Schema, Response);
    pub const RESPONSE_OPTIONAL_PROPERTY_BECAME_READ_ONLY = ("response-optional-property-became-read-only", Info, Schema, Response);
    pub const RESPONSE_OPTIONAL_PROPERTY_BECAME_WRITE_ONLY = ("response-optional-property-became-write-only", Info, Schema, Response);
    pub const RESPONSE_OPTIONAL_PROPERTY_REMOVED = ("response-optional-property-removed", Warning, Schema, Response);
    pub const RESPONSE_OPTIONAL_WRITE_ONLY_PROPERTY_ADDED = ("response-optional-write-only-property-added", Info, Schema, Response);
    pub const RESPONSE_OPTIONAL_WRITE_ONLY_PROPERTY_REMOVED = ("response-optional-write-only-property-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ALL_OF_ADDED = ("response-property-all-of-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ALL_OF_ADDED_ANNOTATION_ONLY = ("response-property-all-of-added-annotation-only", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ALL_OF_REMOVED = ("response-property-all-of-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ALL_OF_REMOVED_ANNOTATION_ONLY = ("response-property-all-of-removed-annotation-only", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ANY_OF_ADDED = ("response-property-any-of-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ANY_OF_REMOVED = ("response-property-any-of-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_BECAME_NOT_NULLABLE = ("response-property-became-not-nullable", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_BECAME_NULLABLE = ("response-property-became-nullable", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_BECAME_OPTIONAL = ("response-property-became-optional", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_BECAME_REQUIRED = ("response-property-became-required", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_CONST_ADDED = ("response-property-const-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_CONST_CHANGED = ("response-property-const-changed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_CONST_REMOVED = ("response-property-const-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_CONTAINS_ADDED = ("response-property-contains-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_CONTAINS_REMOVED = ("response-property-contains-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_CONTENT_ENCODING_CHANGED = ("response-property-content-encoding-changed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_CONTENT_MEDIA_TYPE_CHANGED = ("response-property-content-media-type-changed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_CONTENT_SCHEMA_ADDED = ("response-property-content-schema-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_CONTENT_SCHEMA_REMOVED = ("response-property-content-schema-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_DEFAULT_VALUE_ADDED = ("response-property-default-value-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DEFAULT_VALUE_CHANGED = ("response-property-default-value-changed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DEFAULT_VALUE_REMOVED = ("response-property-default-value-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPENDENT_REQUIRED_ADDED = ("response-property-dependent-required-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPENDENT_REQUIRED_CHANGED = ("response-property-dependent-required-changed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPENDENT_REQUIRED_REMOVED = ("response-property-dependent-required-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPENDENT_SCHEMA_ADDED = ("response-property-dependent-schema-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPENDENT_SCHEMA_REMOVED = ("response-property-dependent-schema-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPRECATED = ("response-property-deprecated", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPRECATED_SUNSET_INVALID = ("response-property-deprecated-sunset-invalid", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPRECATED_SUNSET_MISSING = ("response-property-deprecated-sunset-missing", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_DEPRECATED_WITH_SUNSET = ("response-property-deprecated-with-sunset", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DISCRIMINATOR_ADDED = ("response-property-discriminator-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DISCRIMINATOR_MAPPING_ADDED = ("response-property-discriminator-mapping-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DISCRIMINATOR_MAPPING_CHANGED = ("response-property-discriminator-mapping-changed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DISCRIMINATOR_MAPPING_DELETED = ("response-property-discriminator-mapping-deleted", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DISCRIMINATOR_PROPERTY_NAME_CHANGED = ("response-property-discriminator-property-name-changed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_DISCRIMINATOR_REMOVED = ("response-property-discriminator-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ELSE_ADDED = ("response-property-else-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_ELSE_REMOVED = ("response-property-else-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_ENUM_VALUE_ADDED = ("response-property-enum-value-added", Warning, Schema, Response);
    pub const RESPONSE_PROPERTY_ENUM_VALUE_REMOVED = ("response-property-enum-value-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_EXCLUSIVE_MAX_INCREASED = ("response-property-exclusive-max-increased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_EXCLUSIVE_MIN_DECREASED = ("response-property-exclusive-min-decreased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_IF_ADDED = ("response-property-if-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_IF_REMOVED = ("response-property-if-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_LIST_OF_TYPES_NARROWED = ("response-property-list-of-types-narrowed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_LIST_OF_TYPES_WIDENED = ("response-property-list-of-types-widened", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MAX_CONTAINS_DECREASED = ("response-property-max-contains-decreased", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_MAX_CONTAINS_INCREASED = ("response-property-max-contains-increased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MAX_INCREASED = ("response-property-max-increased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MAX_LENGTH_INCREASED = ("response-property-max-length-increased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MAX_LENGTH_UNSET = ("response-property-max-length-unset", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MIN_CONTAINS_DECREASED = ("response-property-min-contains-decreased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MIN_CONTAINS_INCREASED = ("response-property-min-contains-increased", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_MIN_DECREASED = ("response-property-min-decreased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MIN_ITEMS_DECREASED = ("response-property-min-items-decreased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MIN_ITEMS_UNSET = ("response-property-min-items-unset", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_MIN_LENGTH_DECREASED = ("response-property-min-length-decreased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_ONE_OF_ADDED = ("response-property-one-of-added", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_ONE_OF_REMOVED = ("response-property-one-of-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_PATTERN_ADDED = ("response-property-pattern-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_PATTERN_CHANGED = ("response-property-pattern-changed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_PATTERN_PROPERTY_ADDED = ("response-property-pattern-property-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_PATTERN_PROPERTY_REMOVED = ("response-property-pattern-property-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_PATTERN_REMOVED = ("response-property-pattern-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_PREFIX_ITEMS_ADDED = ("response-property-prefix-items-added", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_PREFIX_ITEMS_REMOVED = ("response-property-prefix-items-removed", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_PROPERTY_NAMES_ADDED = ("response-property-property-names-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_PROPERTY_NAMES_REMOVED = ("response-property-property-names-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_REACTIVATED = ("response-property-reactivated", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_STABILITY_DECREASED = ("response-property-stability-decreased", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_STABILITY_INCREASED = ("response-property-stability-increased", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_SUNSET_DATE_TOO_SMALL = ("response-property-sunset-date-too-small", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_THEN_ADDED = ("response-property-then-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_THEN_REMOVED = ("response-property-then-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_TYPE_CHANGED = ("response-property-type-changed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_TYPE_COMPATIBLE = ("response-property-type-compatible", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_TYPE_GENERALIZED = ("response-property-type-generalized", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_TYPE_SPECIALIZED = ("response-property-type-specialized", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_UNEVALUATED_ITEMS_ADDED = ("response-property-unevaluated-items-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_UNEVALUATED_ITEMS_REMOVED = ("response-property-unevaluated-items-removed", Error, Schema, Response);
    pub const RESPONSE_PROPERTY_UNEVALUATED_PROPERTIES_ADDED = ("response-property-unevaluated-properties-added", Info, Schema, Response);
    pub const RESPONSE_PROPERTY_UNEVALUATED_PROPERTIES_REMOVED = ("response-property-unevaluated-properties-removed", Error, Schema, Response);
    pub const RESPONSE_REQUIRED_PROPERTY_ADDED = ("response-required-property-added", Info, Schema, Response);
    pub const RESPONSE_REQUIRED_PROPERTY_BECAME_NOT_READ_ONLY = ("response-required-property-became-not-read-only", Info, Schema, Response);
    pub const RESPONSE_REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY = ("response-required-property-became-not-write-only", Warning, Schema, Response);
    pub const RESPONSE_REQUIRED_PROPERTY_BECAME_READ_ONLY = ("response-required-property-became-read-only", Info, Schema, Response);
    pub const RESPONSE_REQUIRED_PROPERTY_BECAME_WRITE_ONLY = ("response-required-property-became-write-only", Info, Schema, Response);
    pub const RESPONSE_REQUIRED_PROPERTY_REMOVED = ("response-required-property-removed", Error, Schema, Response);
    pub const RESPONSE_REQUIRED_WRITE_ONLY_PROPERTY_ADDED = ("response-required-write-only-property-added", Info, Schema, Response);
    pub const RESPONSE_REQUIRED_WRITE_ONLY_PROPERTY_REMOVED = ("response-required-write-only-property-removed", Info, Schema, Response);
    pub const RESPONSE_SUCCESS_STATUS_ADDED = ("response-success-status-added", Info, Responses, Response);
    pub const RESPONSE_SUCCESS_STATUS_REMOVED = ("response-success-status-removed", Error, Responses, Response);
    pub const RESPONSE_WRITE_ONLY_PROPERTY_BECAME_OPTIONAL = ("response-write-only-property-became-optional", Info, Schema, Response);
    pub const RESPONSE_WRITE_ONLY_PROPERTY_BECAME_REQUIRED = ("response-write-only-property-became-required", Info, Schema, Response);
    pub const RESPONSE_WRITE_ONLY_PROPERTY_ENUM_VALUE_ADDED = ("response-write-only-property-enum-value-added", Info, Schema, Response);
    // apiradar's own: a schema nested deeper than the comparison follows
    // (see `checks/schema`) was not compared below that point; says where.
    pub const SCHEMA_COMPARISON_STOPPED = ("schema-comparison-stopped", Warning, Schema, Neither);
    pub const SUNSET_DELETED = ("sunset-deleted", Error, Endpoints, Neither);
    pub const WEBHOOK_ADDED = ("webhook-added", Info, Webhooks, Neither);
    pub const WEBHOOK_REMOVED = ("webhook-removed", Error, Webhooks, Neither);
}

/// The check with this id, or `None` for an id apiradar does not know.
pub fn find(id: &str) -> Option<Check> {
    ALL.binary_search_by(|c| c.id.cmp(id)).ok().map(|i| ALL[i])
}

/// The default level of a check id, or `None` for an id apiradar does not know.
pub fn level(id: &str) -> Option<Level> {
    find(id).map(|c| c.level)
}

/// The level of `id` in a table of `(id, level)` sorted by id (the JSON
/// and page checks' own, or [`CHECKS`]).
pub fn level_in(table: &[(&str, Level)], id: &str) -> Option<Level> {
    table
        .binary_search_by(|(known, _)| (*known).cmp(id))
        .ok()
        .map(|i| table[i].1)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use serde_json::Value;

    use super::*;
    use crate::diff::{DiffOptions, diff_openapi};
    use crate::spec::{Limits, parse_document};

    #[test]
    fn the_table_is_sorted_and_unique() {
        assert!(ALL.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(ALL.len(), 511);
        assert_eq!(CHECKS.len(), ALL.len());
        assert!(
            ALL.iter()
                .zip(CHECKS)
                .all(|(c, (id, level))| c.id == *id && c.level == *level)
        );
        assert_eq!(level("request-parameter-removed"), Some(Level::Warning));
        assert_eq!(
            level("api-path-removed-without-deprecation"),
            Some(Level::Error)
        );
        assert_eq!(level("no-such-check"), None);
        assert_eq!(
            find("request-parameter-removed"),
            Some(REQUEST_PARAMETER_REMOVED)
        );
        assert_eq!(
            REQUEST_PARAMETER_REMOVED,
            Check {
                id: "request-parameter-removed",
                level: Level::Warning,
                family: Family::Parameters,
                direction: Direction::Request,
            }
        );
    }

    #[test]
    fn ids_read_like_their_direction() {
        for c in ALL {
            match c.direction {
                Direction::Request => {
                    assert!(c.id.contains("request"), "{} is a request check", c.id)
                }
                Direction::Response => {
                    assert!(c.id.contains("response"), "{} is a response check", c.id)
                }
                Direction::Neither => assert!(
                    !c.id.starts_with("request-") && !c.id.starts_with("response-"),
                    "{} concerns the API as a whole",
                    c.id
                ),
            }
        }
    }

    fn corpus_dir() -> Option<PathBuf> {
        let dir = Path::new("/work/shared/corpus/oasdiff-dev");
        if dir.is_dir() {
            Some(dir.to_path_buf())
        } else {
            println!("{} is absent: its cases are skipped", dir.display());
            None
        }
    }

    fn read_json(path: &Path) -> Value {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
    }

    /// oasdiff's own list of check ids, with its levels and direction tags:
    /// every one is registered, the same.
    #[test]
    fn levels_and_directions_are_oasdiffs() {
        let Some(dir) = corpus_dir() else { return };
        let ids = read_json(&dir.join("check_ids.json"));
        let ids = ids.as_array().expect("a list of checks");
        assert_eq!(
            ids.len(),
            ALL.len() - 2,
            "all of oasdiff's, and two of apiradar's own"
        );
        for entry in ids {
            let field = |k: &str| entry.get(k).and_then(Value::as_str).unwrap_or("");
            let id = field("id");
            let check = find(id).unwrap_or_else(|| panic!("{id} is not registered"));
            let level = match field("level") {
                "ERR" => Level::Error,
                "WARN" => Level::Warning,
                _ => Level::Info,
            };
            let direction = match field("direction") {
                "request" => Direction::Request,
                "response" => Direction::Response,
                _ => Direction::Neither,
            };
            assert_eq!((check.level, check.direction), (level, direction), "{id}");
        }
    }

    /// A document of the golden cases or the oasdiff corpus, or `None` when
    /// it does not parse (a few corpus files are deliberately broken).
    fn load(path: &Path) -> Option<Value> {
        let bytes = std::fs::read(path).ok()?;
        parse_document(&bytes, &Limits::default())
            .ok()
            .map(|(v, _)| v)
    }

    fn options(beta: u32, stable: u32) -> DiffOptions {
        DiffOptions {
            today: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a valid date"),
            deprecation_days_beta: beta,
            deprecation_days_stable: stable,
            ..DiffOptions::default()
        }
    }

    /// The ids found comparing `base` with `revision`, each checked against
    /// the registry (id and level).
    fn emitted(base: &Path, revision: &Path, options: &DiffOptions) -> BTreeSet<&'static str> {
        let (Some(b), Some(r)) = (load(base), load(revision)) else {
            return BTreeSet::new();
        };
        let mut out = BTreeSet::new();
        for f in diff_openapi(&b, &r, options) {
            assert_eq!(
                level(f.id),
                Some(f.level),
                "{} vs {}: {} is not registered at level {}",
                base.display(),
                revision.display(),
                f.id,
                f.level
            );
            out.insert(f.id);
        }
        out
    }

    /// Every id the engine emits on the golden cases and on the oasdiff
    /// corpus (without and with a deprecation policy) is registered at the
    /// level reported. The registered ids no golden case exercises are
    /// listed, for whoever writes the next case.
    #[test]
    fn every_emitted_check_is_registered() {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&golden)
            .expect("tests/golden")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        cases.sort();
        assert!(!cases.is_empty(), "no golden case in {}", golden.display());
        let mut by_golden = BTreeSet::new();
        for case in &cases {
            let (b, r) = (case.join("base.yaml"), case.join("revision.yaml"));
            assert!(
                load(&b).is_some() && load(&r).is_some(),
                "{}",
                case.display()
            );
            by_golden.extend(emitted(&b, &r, &options(0, 0)));
        }
        assert!(!by_golden.is_empty(), "the golden cases emit no finding");
        let mut by_corpus = BTreeSet::new();
        if let Some(dir) = corpus_dir() {
            let manifest = read_json(&dir.join("manifest.json"));
            let mut pairs = BTreeSet::new();
            for case in manifest.as_array().expect("a list of cases") {
                let file = |k: &str| case.get(k).and_then(Value::as_str).map(|p| dir.join(p));
                if let (Some(b), Some(r)) = (file("base"), file("revision")) {
                    pairs.insert((b, r));
                }
            }
            for (b, r) in &pairs {
                by_corpus.extend(emitted(b, r, &options(0, 0)));
                by_corpus.extend(emitted(b, r, &options(30, 180)));
            }
            println!(
                "{} oasdiff pairs emit {} distinct checks",
                pairs.len(),
                by_corpus.len()
            );
        }
        let unexercised: Vec<&str> = ALL
            .iter()
            .map(|c| c.id)
            .filter(|id| !by_golden.contains(id))
            .collect();
        println!(
            "{} of {} registered checks are exercised by no golden case \
             ({} of those by the oasdiff corpus):",
            unexercised.len(),
            ALL.len(),
            unexercised
                .iter()
                .filter(|id| by_corpus.contains(*id))
                .count()
        );
        for id in unexercised {
            println!("  {id}");
        }
    }
}
