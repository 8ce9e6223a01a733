fn main() -> std::process::ExitCode {
    sgkeys::cli::main()
}
