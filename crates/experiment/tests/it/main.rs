mod controls;
mod stats;
