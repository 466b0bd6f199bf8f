//! The terms kg writes: standard vocabularies (OSLC RM and QM, Dublin Core, PROV) and kg's own,
//! mirroring `ontology/kg.ttl` term for term (a test checks that they agree).

macro_rules! terms {
    ($ns:literal; $($name:ident = $local:literal),* $(,)?) => {
        /// The namespace IRI.
        pub const NS: &str = $ns;
        $(pub const $name: ::oxigraph::model::NamedNodeRef<'static> =
            ::oxigraph::model::NamedNodeRef::new_unchecked(concat!($ns, $local));)*
        /// Every term of this vocabulary, as local names.
        #[allow(dead_code)]
        pub const ALL: &[&str] = &[$($local),*];
    };
}

pub mod rdf {
    terms!("http://www.w3.org/1999/02/22-rdf-syntax-ns#"; TYPE = "type", VALUE = "value");
}

pub mod xsd {
    terms!("http://www.w3.org/2001/XMLSchema#"; DATE_TIME = "dateTime");
}

pub mod dcterms {
    terms!("http://purl.org/dc/terms/"; IDENTIFIER = "identifier", DESCRIPTION = "description", TITLE = "title");
}

pub mod oslc_rm {
    terms!("http://open-services.net/ns/rm#";
        REQUIREMENT = "Requirement",
        REQUIREMENT_COLLECTION = "RequirementCollection",
        USES = "uses",
        IMPLEMENTED_BY = "implementedBy",
        VALIDATED_BY = "validatedBy",
        ELABORATED_BY = "elaboratedBy",
    );
}

pub mod prov {
    terms!("http://www.w3.org/ns/prov#";
        ACTIVITY = "Activity",
        AGENT = "Agent",
        WAS_ASSOCIATED_WITH = "wasAssociatedWith",
        STARTED_AT_TIME = "startedAtTime",
        ENDED_AT_TIME = "endedAtTime",
    );
}

pub mod oslc_qm {
    terms!("http://open-services.net/ns/qm#"; TEST_CASE = "TestCase");
}

/// kg's own vocabulary.
pub mod kg {
    terms!("https://w3id.org/kg/vocab#";
        // Classes
        REPOSITORY = "Repository",
        FILE = "File",
        SPEC_FILE = "SpecFile",
        DOC_FILE = "DocFile",
        CODE_FILE = "CodeFile",
        TEXT_FILE = "TextFile",
        FEATURE = "Feature",
        ACCEPTANCE_CRITERION = "AcceptanceCriterion",
        NON_FUNCTIONAL_REQUIREMENT = "NonFunctionalRequirement",
        DEPENDENCY = "Dependency",
        ATTRIBUTE = "Attribute",
        DEFINITION = "Definition",
        TEST = "Test",
        DOC_SECTION = "DocSection",
        REFERENCE = "Reference",
        MENTION = "Mention",
        TASK = "Task",
        SPEC_CHANGE = "Change",
        DIAGNOSTIC = "Diagnostic",
        COMMIT = "Commit",
        TRAILER = "Trailer",
        ITEM_CHANGE = "ItemChange",
        SYMLINK = "Symlink",
        SUBMODULE = "Submodule",
        // Files and positions
        PATH = "path",
        BLOB = "blob",
        SIZE = "size",
        LINE_COUNT = "lineCount",
        LANGUAGE = "language",
        TEST_FILE = "testFile",
        SKIPPED = "skipped",
        IN_FILE = "inFile",
        START_LINE = "startLine",
        END_LINE = "endLine",
        LINE = "line",
        COLUMN = "column",
        // Specs
        FEATURE_PROP = "feature",
        LOCAL_ID = "localId",
        EXPLICIT_ID = "explicitId",
        POSITION = "position",
        CATEGORY = "category",
        SPEC_VERSION = "specVersion",
        OWNER = "owner",
        DEPENDENCY_PROP = "dependency",
        ATTRIBUTE_PROP = "attribute",
        KEY = "key",
        NAME = "name",
        // Code and docs
        KIND = "kind",
        QUALIFIED_NAME = "qualifiedName",
        PARENT = "parent",
        CALLS_NAME = "callsName",
        CALLS_BARE_NAME = "callsBareName",
        IMPORTS = "imports",
        CALLS = "calls",
        CALLS_AMBIGUOUS = "callsAmbiguous",
        HEADING_PATH = "headingPath",
        LEVEL = "level",
        // References
        SOURCE = "source",
        TARGET = "target",
        TARGET_ID = "targetId",
        MARKER = "marker",
        RELATION = "relation",
        MENTIONED_IN = "mentionedIn",
        WRITTEN_ID = "writtenId",
        VERSION = "version",
        ARTIFACT = "artifact",
        QUOTE = "quote",
        COVERED_BY = "coveredBy",
        TOOL = "tool",
        CANDIDATE = "candidate",
        // Tasks
        DONE = "done",
        SERVES = "serves",
        DEPENDS_ON = "dependsOn",
        NAMES_PATH = "namesPath",
        IN_CHANGE = "inChange",
        PROPOSES = "proposes",
        // Diagnostics
        SEVERITY = "severity",
        CODE = "code",
        ABOUT = "about",
        MESSAGE = "message",
        // History
        AUTHOR = "author",
        COMMITTER = "committer",
        EMAIL = "email",
        PARENT_COMMIT = "parentCommit",
        FIRST_PARENT = "firstParent",
        MESSAGE_TRAILER = "trailer",
        CHANGED = "changed",
        ADDED = "added",
        MODIFIED = "modified",
        DELETED = "deleted",
        CHANGE_KIND = "changeKind",
        REFERENCES = "references",
        VIA = "via",
        COMMIT_PROP = "commit",
        COMMIT_COUNT = "commitCount",
        ITEM_CHANGE_PROP = "itemChange",
        ITEM = "item",
        ITEM_ID = "itemId",
        PREVIOUS_ID = "previousId",
        PREVIOUS_TEXT = "previousText",
        INTRODUCED_IN = "introducedIn",
        CHANGED_IN = "changedIn",
        LAST_CHANGED_IN = "lastChangedIn",
        LINK_TARGET = "linkTarget",
        POINTS_OUTSIDE = "pointsOutside",
        SUBMODULE_COMMIT = "submoduleCommit",
        // Bookkeeping
        SHALLOW = "shallow",
        INDEXED_COMMIT = "indexedCommit",
        INDEX_FORMAT = "indexFormat",
        TOOL_VERSION = "toolVersion",
    );
}

/// The prefixes every `kg query` may use without declaring them.
pub const PREFIXES: &[(&str, &str)] = &[
    ("rdf", rdf::NS),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", xsd::NS),
    ("dcterms", dcterms::NS),
    ("prov", prov::NS),
    ("oslc_rm", oslc_rm::NS),
    ("oslc_qm", oslc_qm::NS),
    ("kg", kg::NS),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use oxigraph::io::{RdfFormat, RdfParser};
    use oxigraph::model::{NamedOrBlankNode, Term};

    use super::*;

    // verifies: index/graph
    #[test]
    fn the_ontology_file_and_this_module_agree() {
        let ttl = include_str!("../../ontology/kg.ttl");
        let mut labelled = BTreeSet::new();
        let mut commented = BTreeSet::new();
        let mut defined = BTreeSet::new();
        for triple in RdfParser::from_format(RdfFormat::Turtle).for_slice(ttl.as_bytes()) {
            let triple = triple.expect("kg.ttl is valid Turtle");
            let NamedOrBlankNode::NamedNode(subject) = &triple.subject else {
                continue;
            };
            let Some(local) = subject.as_str().strip_prefix(kg::NS) else {
                continue;
            };
            if local.is_empty() {
                continue;
            }
            defined.insert(local.to_owned());
            let is_text = matches!(&triple.object, Term::Literal(l) if !l.value().is_empty());
            match triple.predicate.as_str() {
                "http://www.w3.org/2000/01/rdf-schema#label" if is_text => {
                    labelled.insert(local.to_owned())
                }
                "http://www.w3.org/2000/01/rdf-schema#comment" if is_text => {
                    commented.insert(local.to_owned())
                }
                _ => false,
            };
        }
        let in_code: BTreeSet<String> = kg::ALL.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(
            defined, in_code,
            "ontology/kg.ttl and src/graph/vocab.rs list different terms"
        );
        assert_eq!(labelled, in_code, "every term needs an rdfs:label");
        assert_eq!(commented, in_code, "every term needs an rdfs:comment");
    }
}
