//! The bundled knowledge: it loads, and it is sound.

#[test]
fn bundled_knowledge_is_valid() {
    if let Err(problems) = relaydoc::knowledge::bundled() {
        panic!(
            "bundled knowledge has {} problems:\n{problems}",
            problems.len()
        );
    }
}
