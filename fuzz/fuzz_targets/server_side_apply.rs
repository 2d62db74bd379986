//! A server-side apply: byte 0 picks force, /status, create and the manager.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| foo_apiserver::fuzzing::FOO.server_side_apply(data));
