// A marshalled code object for the body walker's tests: included by
// src/bytecode/marshal.rs's unit tests and by tests/common, so that both build
// their bodies the same way.

/// A code object of 3.11 to 3.14 with no bytecode whose constants are the
/// `n` marshalled objects `consts`.
pub fn code_with_consts(n: u8, consts: &[u8]) -> Vec<u8> {
    let empty_bytes = b"s\0\0\0\0";
    let mut body = vec![b'c'];
    body.extend_from_slice(&[0; 20]); // argcount .. flags
    body.extend_from_slice(empty_bytes); // code
    body.extend_from_slice(&[b')', n]);
    body.extend_from_slice(consts);
    body.extend_from_slice(b")\0)\0"); // names, localsplusnames
    body.extend_from_slice(empty_bytes); // localspluskinds
    body.extend_from_slice(b"z\x01fz\x01fz\x01f"); // filename, name, qualname
    body.extend_from_slice(&1i32.to_le_bytes()); // firstlineno
    body.extend_from_slice(empty_bytes); // linetable
    body.extend_from_slice(empty_bytes); // exceptiontable
    body
}
