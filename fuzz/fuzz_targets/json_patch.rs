//! A JSON patch of a stored Foo, and the update it makes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| foo_apiserver::fuzzing::FOO.json_patch(data));
