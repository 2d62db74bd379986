//! A POST or PUT body: byte 0 picks JSON or YAML and the field validation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| foo_apiserver::fuzzing::FOO.decode_body(data));
