// The migrations are embedded by `sqlx::migrate!`; a new one must rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations-postgres");
}
