//! The bundled knowledge is compiled into the binary with `include_dir!`, which cargo does not
//! track: rebuild whenever a file under `knowledge/` changes.

fn main() {
    println!("cargo:rerun-if-changed=knowledge");
}
