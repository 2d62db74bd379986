//! A list or watch query string, and continue tokens.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| foo_apiserver::fuzzing::FOO.query(data));
