// SPDX-License-Identifier: GPL-2.0

//! The parts of lispd that need no kernel: the configuration file and the xTR state machine.
//! The binary (`main.rs`) adds the I/O; tests and `examples/scale.rs` drive the engine alone.

pub mod config;
pub mod engine;
