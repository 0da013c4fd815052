//! Validation: ranges and relations of a parsed scenario, and the typed error (`Invalid`)
//! naming the dotted field at fault and the rule it breaks. The first rule broken is
//! reported; `load.rs` places it in the file or blames an override.

use super::{Dist, DistKind, Dur, Overflow, Scenario, limits};

/// A rule a scenario breaks: which field (see [`Invalid::field`]) and why (its `Display`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Invalid {
    /// A duration, interval or count that must be above zero.
    #[error("must be positive")]
    NotPositive {
        /// The dotted field.
        field: &'static str,
    },
    /// A distribution whose mean is zero.
    #[error("mean must be positive")]
    MeanNotPositive {
        /// The dotted field.
        field: &'static str,
    },
    /// `field` exceeds the field or value `bound` names (as it is said in the message).
    #[error("must not exceed {bound}")]
    Exceeds {
        /// The dotted field.
        field: &'static str,
        /// What it must not exceed, in words.
        bound: String,
    },
    /// A count above its limit.
    #[error("must be at most {max}")]
    AtMost {
        /// The dotted field.
        field: &'static str,
        /// The limit.
        max: u64,
    },
    /// A fraction (watermark, loss) outside `[0, 1]`.
    #[error("{value} is not a fraction in [0, 1]")]
    NotFraction {
        /// The dotted field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A probability outside `[0, 1]`.
    #[error("{value} is not a probability in [0, 1]")]
    NotProbability {
        /// The dotted field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A relative swing outside `[0, 1]`.
    #[error("must be in [0, 1]")]
    NotUnit {
        /// The dotted field.
        field: &'static str,
    },
    /// A rate that is negative or not a number.
    #[error("must be a non-negative number")]
    Negative {
        /// The dotted field.
        field: &'static str,
    },
    /// A timer's period or timeout below [`limits::INTERVAL_MIN_US`].
    #[error("{value} is shorter than 1ms, the shortest period or timeout")]
    IntervalTooShort {
        /// The dotted field.
        field: &'static str,
        /// The value given.
        value: Dur,
    },
    /// A partition that lasts no time.
    #[error("must be positive")]
    PartitionNotPositive {
        /// The entry's index in `partitions`.
        index: usize,
    },
    /// A sample interval below [`limits::SAMPLE_INTERVAL_MIN_US`].
    #[error("{interval} is shorter than the shortest sample interval, 1ms")]
    SampleIntervalTooShort {
        /// The interval given.
        interval: Dur,
    },
    /// More samples than [`limits::SAMPLES_MAX`].
    #[error(
        "{interval} over {duration} makes {} samples; at most {} (a longer interval, or a shorter run)",
        limits::words(*samples),
        limits::words(limits::SAMPLES_MAX)
    )]
    TooManySamples {
        /// The sample interval.
        interval: Dur,
        /// The run's duration.
        duration: Dur,
        /// Samples it makes.
        samples: u64,
    },
    /// A name longer than [`limits::NAME_MAX`].
    #[error("is {bytes} bytes; at most {} bytes", limits::NAME_MAX)]
    NameTooLong {
        /// Its length.
        bytes: usize,
    },
    /// A description longer than [`limits::DESCRIPTION_MAX`].
    #[error(
        "is {} bytes; at most {} bytes (64 KiB)",
        limits::words(*bytes as u64),
        limits::words(limits::DESCRIPTION_MAX as u64)
    )]
    DescriptionTooLong {
        /// Its length.
        bytes: usize,
    },
    /// `servers.max_servers` outside `1..=SERVERS_MAX`.
    #[error(
        "must be between 1 and {} (at most {} servers)",
        limits::words(u64::from(limits::SERVERS_MAX)),
        limits::words(u64::from(limits::SERVERS_MAX))
    )]
    MaxServers,
    /// `servers.initial` outside `1..=max_servers`.
    #[error("must be between 1 and max_servers ({max_servers})")]
    InitialServers {
        /// The quota.
        max_servers: u32,
    },
    /// `servers.capacity` outside `1..=1,000,000`.
    #[error("must be between 1 and 1,000,000 users per server")]
    Capacity,
    /// Watermarks out of order.
    #[error("watermarks must satisfy low_watermark <= pull_target <= high_watermark")]
    WatermarkOrder,
    /// `servers.view_size` outside `1..=VIEW_MAX`.
    #[error("must be in 1..={}", limits::VIEW_MAX)]
    ViewSize,
    /// More user slots than [`limits::USERS_MAX`]; `field` is the source that pushes the
    /// total over.
    #[error(
        "the run would need {} user slots (count, plus the flash crowd or daily peak, plus arrival slots, plus the population cap); at most {} users",
        limits::words(*slots),
        limits::words(u64::from(limits::USERS_MAX))
    )]
    TooManyUsers {
        /// The dotted field.
        field: &'static str,
        /// Slots needed.
        slots: u64,
    },
    /// Arrivals without slots for them.
    #[error("must be positive when arrival_rate is")]
    NoArrivalSlots,
    /// A distribution without the parameters its shape needs.
    #[error("{field}: `mean` is required for dist = \"{}\"", kind_name(*kind))]
    DistMeanMissing {
        /// The dotted field.
        field: &'static str,
        /// Its shape.
        kind: DistKind,
    },
    /// A uniform distribution without both bounds.
    #[error("{field}: `min` and `max` are required for dist = \"uniform\"")]
    DistBoundsMissing {
        /// The dotted field.
        field: &'static str,
    },
    /// A uniform distribution with `min > max`.
    #[error("{field}: `min` must not exceed `max`")]
    DistBoundsReversed {
        /// The dotted field.
        field: &'static str,
    },
    /// A `step` on a distribution that cannot count whole steps.
    #[error(
        "{field}: `step` needs dist = \"uniform\", a positive step and a whole number of steps between `min` and `max`"
    )]
    DistStepInvalid {
        /// The dotted field.
        field: &'static str,
    },
    /// A scale-out that cannot answer before the user gives up.
    #[error(
        "with overflow = \"scale-out\" a new server must answer before the user gives up: {provisioning_delay} plus the latencies of the longest delegation is not shorter than users.attempt_timeout ({attempt_timeout})"
    )]
    ScaleOutTooSlow {
        /// `servers.provisioning_delay`.
        provisioning_delay: Dur,
        /// `users.attempt_timeout`.
        attempt_timeout: Dur,
    },
    /// `crashes` or `partitions` with more than [`limits::EVENTS_LIST_MAX`] entries.
    #[error(
        "has {} entries; at most {}",
        limits::words(*entries as u64),
        limits::words(limits::EVENTS_LIST_MAX as u64)
    )]
    TooManyEntries {
        /// `crashes` or `partitions`.
        field: &'static str,
        /// Entries given.
        entries: usize,
    },
    /// More servers listed in crashes and partitions than [`limits::LISTED_SERVERS_MAX`].
    #[error(
        "crashes and partitions list {} servers in all; at most {}",
        limits::words(*listed as u64),
        limits::words(limits::LISTED_SERVERS_MAX as u64)
    )]
    TooManyListedServers {
        /// `crashes`, or `partitions` when there are no crashes.
        field: &'static str,
        /// Servers listed.
        listed: usize,
    },
    /// A crash or partition of a server index at or above `max_servers`.
    #[error("server {server} is not below max_servers ({max_servers})")]
    UnknownServer {
        /// `crashes` or `partitions`.
        list: &'static str,
        /// The entry's index in its list.
        index: usize,
        /// The server named.
        server: u32,
        /// The quota.
        max_servers: u32,
    },
    /// A butterfly on a user slot that does not exist.
    #[error("no user slot {user} (there are {slots})")]
    NoSuchUserSlot {
        /// The slot named.
        user: u32,
        /// Slots of the run.
        slots: u32,
    },
}

/// A timer's period or timeout: positive, and at least [`limits::INTERVAL_MIN_US`] (a
/// `heartbeat_interval` of 1us made a one-second run take over a minute).
fn check_interval(field: &'static str, value: Dur) -> Result<(), Invalid> {
    if value.us() == 0 {
        Err(Invalid::NotPositive { field })
    } else if value.us() < limits::INTERVAL_MIN_US {
        Err(Invalid::IntervalTooShort { field, value })
    } else {
        Ok(())
    }
}

/// The name of a distribution's shape as TOML writes it.
fn kind_name(kind: DistKind) -> &'static str {
    match kind {
        DistKind::Fixed => "fixed",
        DistKind::Exponential => "exponential",
        DistKind::Uniform => "uniform",
    }
}

impl Invalid {
    /// The dotted field at fault, like `servers.capacity` or `crashes[2].servers`.
    pub fn field(&self) -> String {
        match self {
            Invalid::NotPositive { field }
            | Invalid::MeanNotPositive { field }
            | Invalid::Exceeds { field, .. }
            | Invalid::AtMost { field, .. }
            | Invalid::NotFraction { field, .. }
            | Invalid::NotProbability { field, .. }
            | Invalid::NotUnit { field }
            | Invalid::Negative { field }
            | Invalid::IntervalTooShort { field, .. }
            | Invalid::TooManyUsers { field, .. }
            | Invalid::DistMeanMissing { field, .. }
            | Invalid::DistBoundsMissing { field }
            | Invalid::DistBoundsReversed { field }
            | Invalid::DistStepInvalid { field }
            | Invalid::TooManyEntries { field, .. }
            | Invalid::TooManyListedServers { field, .. } => (*field).to_string(),
            Invalid::SampleIntervalTooShort { .. } | Invalid::TooManySamples { .. } => {
                "sample_interval".into()
            }
            Invalid::NameTooLong { .. } => "name".into(),
            Invalid::DescriptionTooLong { .. } => "description".into(),
            Invalid::MaxServers => "servers.max_servers".into(),
            Invalid::InitialServers { .. } => "servers.initial".into(),
            Invalid::Capacity => "servers.capacity".into(),
            Invalid::WatermarkOrder => "servers.pull_target".into(),
            Invalid::ViewSize => "servers.view_size".into(),
            Invalid::NoArrivalSlots => "users.arrival_slots".into(),
            Invalid::ScaleOutTooSlow { .. } => "servers.provisioning_delay".into(),
            Invalid::UnknownServer { list, index, .. } => format!("{list}[{index}].servers"),
            Invalid::NoSuchUserSlot { .. } => "butterfly.user".into(),
            Invalid::PartitionNotPositive { index } => format!("partitions[{index}].duration"),
        }
    }
}

impl Scenario {
    /// Check ranges and relations; the error names the dotted field and the rule.
    pub fn validate(&self) -> Result<(), Invalid> {
        let s = &self.servers;
        let u = &self.users;
        let n = &self.network;
        if self.duration.us() == 0 {
            return Err(Invalid::NotPositive { field: "duration" });
        }
        if self.sample_interval.us() == 0 {
            return Err(Invalid::NotPositive {
                field: "sample_interval",
            });
        }
        // Every reader that samples (metrics, plot, diff, the viewer) keeps a point per
        // sample: bound their number, so a short interval cannot exhaust memory.
        if self.sample_interval.us() < limits::SAMPLE_INTERVAL_MIN_US {
            return Err(Invalid::SampleIntervalTooShort {
                interval: self.sample_interval,
            });
        }
        let samples = self.duration.us() / self.sample_interval.us();
        if samples > limits::SAMPLES_MAX {
            return Err(Invalid::TooManySamples {
                interval: self.sample_interval,
                duration: self.duration,
                samples,
            });
        }
        if self.name.len() > limits::NAME_MAX {
            return Err(Invalid::NameTooLong {
                bytes: self.name.len(),
            });
        }
        if self.description.len() > limits::DESCRIPTION_MAX {
            return Err(Invalid::DescriptionTooLong {
                bytes: self.description.len(),
            });
        }
        if !(1..=limits::SERVERS_MAX).contains(&s.max_servers) {
            return Err(Invalid::MaxServers);
        }
        if s.initial == 0 || s.initial > s.max_servers {
            return Err(Invalid::InitialServers {
                max_servers: s.max_servers,
            });
        }
        if s.capacity == 0 || s.capacity > 1_000_000 {
            return Err(Invalid::Capacity);
        }
        for (field, value) in [
            ("servers.high_watermark", s.high_watermark),
            ("servers.low_watermark", s.low_watermark),
            ("servers.pull_target", s.pull_target),
            ("servers.terminate_watermark", s.terminate_watermark),
            ("network.loss", n.loss),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Invalid::NotFraction { field, value });
            }
        }
        if s.terminate_watermark > s.low_watermark {
            return Err(exceeds("servers.terminate_watermark", "low_watermark"));
        }
        if s.low_watermark > s.pull_target || s.pull_target > s.high_watermark {
            return Err(Invalid::WatermarkOrder);
        }
        if s.max_hops > limits::HOPS_MAX {
            return Err(Invalid::AtMost {
                field: "servers.max_hops",
                max: u64::from(limits::HOPS_MAX),
            });
        }
        if s.view_size == 0 || s.view_size > limits::VIEW_MAX {
            return Err(Invalid::ViewSize);
        }
        for (field, value) in [
            ("servers.gossip_interval", s.gossip_interval),
            ("servers.pull_interval", s.pull_interval),
            ("servers.peer_ttl", s.peer_ttl),
            ("servers.report_interval", s.report_interval),
            ("users.attempt_timeout", u.attempt_timeout),
            ("users.heartbeat_interval", u.heartbeat_interval),
            ("users.heartbeat_timeout", u.heartbeat_timeout),
            ("network.directory_refresh", n.directory_refresh),
        ] {
            check_interval(field, value)?;
        }
        if n.latency_min > n.latency_max {
            return Err(exceeds("network.latency_min", "latency_max"));
        }
        self.check_user_slots()?;
        if u.initial.is_some_and(|i| i > u.count) {
            return Err(exceeds("users.initial", "users.count"));
        }
        if u.retries_max > limits::RETRIES_MAX {
            return Err(Invalid::AtMost {
                field: "users.retries_max",
                max: u64::from(limits::RETRIES_MAX),
            });
        }
        if u.backoff_base > u.backoff_max {
            return Err(exceeds("users.backoff_base", "backoff_max"));
        }
        if !(u.arrival_rate.is_finite() && u.arrival_rate >= 0.0) {
            return Err(Invalid::Negative {
                field: "users.arrival_rate",
            });
        }
        if u.arrivals_initial > u.arrival_slots {
            return Err(exceeds("users.arrivals_initial", "users.arrival_slots"));
        }
        if u.arrival_rate > 0.0 && u.arrival_slots == 0 {
            return Err(Invalid::NoArrivalSlots);
        }
        u.lifespan.check("users.lifespan")?;
        u.respawn_delay.check("users.respawn_delay")?;
        if u.lifespan.mean_us() == 0 {
            return Err(Invalid::MeanNotPositive {
                field: "users.lifespan",
            });
        }
        // The longest way to a new server: the user's request, every delegation, the
        // new server's start, its answer.
        let answer_us =
            s.provisioning_delay.us() + (u64::from(s.max_hops) + 2) * n.latency_max.us();
        if s.overflow == Overflow::ScaleOut && answer_us >= u.attempt_timeout.us() {
            return Err(Invalid::ScaleOutTooSlow {
                provisioning_delay: s.provisioning_delay,
                attempt_timeout: u.attempt_timeout,
            });
        }
        if let Some(pop) = &u.population {
            if pop.cap == 0 {
                return Err(Invalid::NotPositive {
                    field: "users.population.cap",
                });
            }
            let cap = || format!("cap ({})", pop.cap);
            if pop.floor > pop.cap {
                return Err(exceeds("users.population.floor", &cap()));
            }
            if pop.initial > pop.cap {
                return Err(exceeds("users.population.initial", &cap()));
            }
            if !(0.0..=1.0).contains(&pop.spawn_chance) {
                return Err(Invalid::NotProbability {
                    field: "users.population.spawn_chance",
                    value: pop.spawn_chance,
                });
            }
            check_interval("users.population.step", pop.step)?;
        }
        if let Some(d) = &u.diurnal {
            if !(0.0..=1.0).contains(&d.amplitude) {
                return Err(Invalid::NotUnit {
                    field: "users.diurnal.amplitude",
                });
            }
            check_interval("users.diurnal.period", d.period)?;
        }
        self.check_faults()?;
        if let Some(wait) = self.butterfly.as_ref().and_then(|b| b.reconnect_after)
            && wait > self.duration
        {
            return Err(exceeds(
                "butterfly.reconnect_after",
                &format!("the run's duration ({})", self.duration),
            ));
        }
        if let Some(user) = self.butterfly.as_ref().and_then(|b| b.user)
            && user >= self.user_slots()
        {
            return Err(Invalid::NoSuchUserSlot {
                user,
                slots: self.user_slots(),
            });
        }
        Ok(())
    }

    /// Every source of user slots counts against the limit, in 64 bits so nothing wraps:
    /// the steady population, its flash-crowd or daily peak, the arrival slots and the
    /// population cap. The error blames the source that pushes the total over.
    fn check_user_slots(&self) -> Result<(), Invalid> {
        let u = &self.users;
        let max = u64::from(limits::USERS_MAX);
        let count = u64::from(u.count);
        let flash = u.flash.as_ref().map_or(0, |f| u64::from(f.extra));
        let diurnal = u.diurnal.as_ref().map_or(0, |d| {
            if (0.0..=1.0).contains(&d.amplitude) {
                (count as f64 * d.amplitude).ceil() as u64
            } else {
                0
            }
        });
        let population = u.population.as_ref().map_or(0, |p| u64::from(p.cap));
        let peak = count + flash.max(diurnal);
        let arrivals = peak + u64::from(u.arrival_slots);
        let slots = arrivals + population;
        if slots <= max {
            return Ok(());
        }
        let field = if count > max {
            "users.count"
        } else if peak > max {
            if flash >= diurnal {
                "users.flash.extra"
            } else {
                "users.diurnal.amplitude"
            }
        } else if arrivals > max {
            "users.arrival_slots"
        } else {
            "users.population.cap"
        };
        Err(Invalid::TooManyUsers { field, slots })
    }

    /// Crashes and partitions: list lengths, servers listed in all, and every server
    /// named below `max_servers`.
    fn check_faults(&self) -> Result<(), Invalid> {
        for (field, entries) in [
            ("crashes", self.crashes.len()),
            ("partitions", self.partitions.len()),
        ] {
            if entries > limits::EVENTS_LIST_MAX {
                return Err(Invalid::TooManyEntries { field, entries });
            }
        }
        let listed: usize = self.crashes.iter().map(|c| c.servers.len()).sum::<usize>()
            + self
                .partitions
                .iter()
                .map(|p| p.servers.len())
                .sum::<usize>();
        if listed > limits::LISTED_SERVERS_MAX {
            let field = if self.crashes.is_empty() {
                "partitions"
            } else {
                "crashes"
            };
            return Err(Invalid::TooManyListedServers { field, listed });
        }
        if let Some(index) = self.partitions.iter().position(|p| p.duration.us() == 0) {
            return Err(Invalid::PartitionNotPositive { index });
        }
        let max_servers = self.servers.max_servers;
        let lists = [
            (
                "crashes",
                self.crashes
                    .iter()
                    .map(|c| &c.servers[..])
                    .collect::<Vec<_>>(),
            ),
            (
                "partitions",
                self.partitions.iter().map(|p| &p.servers[..]).collect(),
            ),
        ];
        for (list, entries) in lists {
            for (index, servers) in entries.into_iter().enumerate() {
                if let Some(&server) = servers.iter().find(|&&id| id >= max_servers) {
                    return Err(Invalid::UnknownServer {
                        list,
                        index,
                        server,
                        max_servers,
                    });
                }
            }
        }
        Ok(())
    }

    /// Things in a valid scenario that are probably mistakes: crashes, partitions or a
    /// butterfly scheduled at or after the end of the run (they never happen).
    pub fn warnings(&self) -> Vec<String> {
        let end = self.duration;
        let mut out = Vec::new();
        let late = |what: String, at: Dur| {
            format!("{what} at {at} is at or after the end of the run ({end}): it never happens")
        };
        for (i, c) in self.crashes.iter().enumerate() {
            if c.at >= end {
                out.push(late(format!("crashes[{i}]"), c.at));
            }
        }
        for (i, p) in self.partitions.iter().enumerate() {
            if p.at >= end {
                out.push(late(format!("partitions[{i}]"), p.at));
            }
        }
        if let Some(at) = self.butterfly.as_ref().and_then(|b| b.at)
            && at >= end
        {
            out.push(late("butterfly".into(), at));
        }
        if let Some(at) = self.coordinator.crash_at
            && at >= end
        {
            out.push(late("coordinator.crash_at".into(), at));
        }
        out
    }
}

/// `field` exceeds what `bound` says.
fn exceeds(field: &'static str, bound: &str) -> Invalid {
    Invalid::Exceeds {
        field,
        bound: bound.to_string(),
    }
}

impl Dist {
    /// The parameters its shape needs are there, and in order.
    fn check(&self, field: &'static str) -> Result<(), Invalid> {
        match self.dist {
            DistKind::Fixed | DistKind::Exponential if self.mean.is_none() => {
                Err(Invalid::DistMeanMissing {
                    field,
                    kind: self.dist,
                })
            }
            DistKind::Uniform => match (self.min, self.max) {
                (Some(min), Some(max)) if min <= max => match self.step.map(|s| s.us()) {
                    Some(step) if step == 0 || min.us().div_ceil(step) > max.us() / step => {
                        Err(Invalid::DistStepInvalid { field })
                    }
                    _ => Ok(()),
                },
                (Some(_), Some(_)) => Err(Invalid::DistBoundsReversed { field }),
                _ => Err(Invalid::DistBoundsMissing { field }),
            },
            _ if self.step.is_some() => Err(Invalid::DistStepInvalid { field }),
            _ => Ok(()),
        }
    }
}
