// SPDX-License-Identifier: GPL-2.0

//! The xTR state machine, without sockets or clocks of its own: it is handed received control
//! messages, cache-miss events and the time, and answers with `Output`s (datagrams to send,
//! map-cache entries to install or remove). `io` does the I/O; tests drive it directly.
//!
//! ETR side: periodic Map-Registers to every Map-Server (want-map-notify, authenticated, sent
//! again with backoff until the Map-Notify comes), authoritative Map-Replies to Map-Requests and
//! RLOC-probes for this site's EIDs, Solicit-Map-Requests to recent askers when a mapping
//! changes. ITR side: Encapsulated Map-Requests to the Map-Resolvers for misses (nonce, retries
//! with backoff, one resolution per destination and interval, a global rate), Map-Replies
//! installed as learned entries, refreshed before their TTL runs out while in use, re-resolved
//! on SMR.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use lisp_control::{
    verify, Action, Auth, Ecm, Eid, Locator, MapNotify, MapRegister, MapReply, MapRequest, Message,
    Record,
};
use serde::Serialize;

use crate::config::{masked, Config, Level, MapServer, Mapping, CONTROL_PORT};

/// A learned mapping to put into a device's map-cache (add or replace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Install {
    /// The device.
    pub dev: String,
    /// The entry's key.
    pub key: Key,
    /// Locators: address, priority, weight, up.
    pub rlocs: Vec<(IpAddr, u8, u8, bool)>,
    /// Seconds to live.
    pub ttl: u32,
    /// For negative entries (no locators): what the data plane does with packets.
    pub action: Option<Negative>,
}

/// What a negative entry does with packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Negative {
    /// Drop them.
    Drop,
    /// Send them natively.
    Forward,
    /// Drop them and raise misses (so they are resolved again).
    Notify,
}

/// A map-cache key: instance ID and EID prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Instance ID.
    pub iid: u32,
    /// The prefix's address, host bits zero.
    pub addr: IpAddr,
    /// Prefix length.
    pub plen: u8,
}

/// What the engine asks the I/O layer to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send a control datagram.
    Send {
        /// Where to.
        to: SocketAddr,
        /// The datagram.
        bytes: Vec<u8>,
    },
    /// Install (or replace) a learned entry.
    Install(Install),
    /// Remove a learned entry.
    Remove {
        /// The device.
        dev: String,
        /// The entry.
        key: Key,
    },
    /// Ask the kernel whether the entry has carried packets; answer with `Engine::used`.
    CheckUsed {
        /// The device.
        dev: String,
        /// The entry.
        key: Key,
    },
    /// A log line.
    Log(Level, String),
}

/// Why a destination is being resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Reason {
    Miss,
    Refresh,
    Smr,
}

/// An outstanding Map-Request.
struct Pending {
    dev: String,
    iid: u32,
    eid: IpAddr,
    plen: u8,
    reason: Reason,
    first: Instant,
    attempts: u32,
    next: Instant,
}

/// A learned entry, as installed.
struct Learned {
    dev: String,
    installed: Instant,
    ttl: u32,
    /// When to check use and send the refreshing Map-Request.
    refresh_at: Instant,
    /// Use is being checked or a refresh is outstanding.
    refreshing: bool,
    negative: bool,
}

impl Learned {
    fn expires(&self) -> Instant {
        self.installed + Duration::from_secs(self.ttl.into())
    }
}

/// The state of the registration with one Map-Server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegState {
    /// Nothing sent yet.
    Idle,
    /// Map-Registers sent, no Map-Notify yet.
    Registering,
    /// The last round was confirmed by Map-Notify.
    Registered,
    /// Retries ran out without a Map-Notify (wrong key, unreachable, refused).
    Failed,
}

/// One Map-Server's registration.
#[derive(Clone)]
struct Registration {
    server: MapServer,
    state: RegState,
    /// The messages of the current round not yet confirmed: nonce and records.
    outstanding: Vec<(u64, Vec<Record>)>,
    attempts: u32,
    retry_at: Instant,
    next_round: Instant,
    last_register: Option<Instant>,
    last_notify: Option<Instant>,
    notifies: u64,
    bad_auth: u64,
}

/// Message counters by kind.
#[derive(Default, Serialize)]
pub struct Counters {
    /// Sent, by message kind.
    pub sent: BTreeMap<&'static str, u64>,
    /// Received and accepted, by message kind.
    pub received: BTreeMap<&'static str, u64>,
    /// Dropped, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Other events (misses, coalesced, rate limited, timeouts, installs).
    pub events: BTreeMap<&'static str, u64>,
}

fn bump(m: &mut BTreeMap<&'static str, u64>, k: &'static str) {
    *m.entry(k).or_insert(0) += 1;
}

/// Time from the first miss to the entry's installation.
#[derive(Default, Serialize)]
struct Latency {
    count: u64,
    last_ms: f64,
    max_ms: f64,
    total_ms: f64,
}

/// Records in one Map-Register: keeps a message well inside an Ethernet MTU.
const RECORDS_PER_REGISTER: usize = 20;
/// How long an ITR that asked us for a mapping is remembered, for SMRs.
const ASKER_MEMORY: Duration = Duration::from_secs(3600);

/// The xTR.
pub struct Engine {
    cfg: Config,
    /// Which device serves which instance ID.
    iid_dev: HashMap<u32, String>,
    regs: Vec<Registration>,
    pending: HashMap<u64, Pending>,
    inflight: HashMap<(u32, IpAddr), u64>,
    last_asked: HashMap<(u32, IpAddr), Instant>,
    learned: HashMap<Key, Learned>,
    askers: HashMap<IpAddr, Instant>,
    /// Global Map-Request budget: tokens and when they were last topped up.
    tokens: f64,
    tokens_at: Instant,
    rng: u64,
    /// Counters, public for the status query.
    pub counters: Counters,
    /// The last install failed for a full map-cache (so the next one is not logged again).
    map_full: bool,
    latency: Latency,
    started: Instant,
}

/// The instance IDs each device serves, as the I/O layer found them.
pub type Serves = Vec<(String, Vec<u32>)>;

impl Engine {
    /// An engine for `cfg`; `serves` says which device serves which instance ID; `seed`
    /// seeds the nonce generator.
    pub fn new(cfg: Config, serves: &Serves, now: Instant, seed: u64) -> Engine {
        let mut e = Engine {
            regs: Vec::new(),
            iid_dev: HashMap::new(),
            pending: HashMap::new(),
            inflight: HashMap::new(),
            last_asked: HashMap::new(),
            learned: HashMap::new(),
            askers: HashMap::new(),
            tokens: f64::from(cfg.timers.request_rate),
            tokens_at: now,
            rng: seed | 1,
            counters: Counters::default(),
            map_full: false,
            latency: Latency::default(),
            started: now,
            cfg,
        };
        e.set_serves(serves);
        e.regs = e
            .cfg
            .map_servers
            .iter()
            .map(|s| registration(s.clone(), now))
            .collect();
        e
    }

    fn set_serves(&mut self, serves: &Serves) {
        self.iid_dev.clear();
        for (dev, iids) in serves {
            for i in iids {
                self.iid_dev.entry(*i).or_insert_with(|| dev.clone());
            }
        }
    }

    fn nonce(&mut self) -> u64 {
        // xorshift64*: nonces need to be unpredictable to off-path senders only as far as the
        // seed (from getrandom) is; they are matched exactly, never trusted beyond that.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn log(&self, out: &mut Vec<Output>, level: Level, msg: String) {
        if level <= self.cfg.log_level {
            out.push(Output::Log(level, msg));
        }
    }

    fn send(
        &mut self,
        out: &mut Vec<Output>,
        to: SocketAddr,
        m: &Message,
        key: &[u8],
        kind: &'static str,
    ) {
        let bytes = m.encode(key);
        bump(&mut self.counters.sent, kind);
        out.push(Output::Send { to, bytes });
    }

    // ---- Timers ---------------------------------------------------------------------------

    /// The earliest time `tick` has something to do.
    pub fn next_wakeup(&self, now: Instant) -> Instant {
        let mut t = now + Duration::from_secs(1);
        for r in &self.regs {
            if !self.cfg.mappings.is_empty() {
                t = t.min(r.next_round);
            }
            if !r.outstanding.is_empty() {
                t = t.min(r.retry_at);
            }
        }
        for p in self.pending.values() {
            t = t.min(p.next);
        }
        t.max(now)
    }

    /// Runs what is due at `now`: registrations, retransmissions, refreshes, expiries.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Output>) {
        self.tick_registrations(now, out);
        self.tick_requests(now, out);
        self.tick_learned(now, out);
        self.askers
            .retain(|_, t| now.saturating_duration_since(*t) < ASKER_MEMORY);
        let interval = self.request_interval();
        self.last_asked
            .retain(|_, t| now.saturating_duration_since(*t) < interval);
    }

    fn request_interval(&self) -> Duration {
        Duration::from_secs_f64(self.cfg.timers.request_interval.max(0.0))
    }

    // ---- ETR: registration ----------------------------------------------------------------

    fn records(&self, ttl_zero: bool, mappings: &[Mapping]) -> Vec<Record> {
        mappings
            .iter()
            .map(|m| Record {
                ttl: if ttl_zero { 0 } else { m.ttl },
                eid: Eid {
                    iid: m.iid,
                    addr: m.addr,
                    plen: m.plen,
                },
                action: Action::NoAction,
                authoritative: true,
                version: 0,
                locators: m
                    .rlocs
                    .iter()
                    .map(|r| Locator {
                        addr: r.addr,
                        priority: r.priority,
                        weight: r.weight,
                        mpriority: 255,
                        mweight: 0,
                        local: true,
                        probed: false,
                        reachable: true,
                    })
                    .collect(),
            })
            .collect()
    }

    fn register_message(
        &self,
        i: usize,
        nonce: u64,
        records: Vec<Record>,
        notify: bool,
    ) -> Message {
        let s = &self.regs[i].server;
        Message::Register(MapRegister {
            nonce,
            proxy_reply: s.proxy_reply,
            want_map_notify: notify,
            auth: s.auth,
            records,
        })
    }

    fn start_round(&mut self, i: usize, now: Instant, out: &mut Vec<Output>) {
        let records = self.records(false, &self.cfg.mappings);
        let mut outstanding = Vec::new();
        for chunk in records.chunks(RECORDS_PER_REGISTER) {
            outstanding.push((self.nonce(), chunk.to_vec()));
        }
        let retry = Duration::from_secs_f64(self.cfg.timers.register_retry);
        let r = &mut self.regs[i];
        r.outstanding = outstanding;
        r.attempts = 0;
        r.retry_at = now + retry;
        r.next_round = now + self.cfg.register_interval();
        r.last_register = Some(now);
        if r.state == RegState::Idle {
            r.state = RegState::Registering;
        }
        self.send_outstanding(i, out);
    }

    fn send_outstanding(&mut self, i: usize, out: &mut Vec<Output>) {
        let to = self.regs[i].server.address;
        let key = self.regs[i].server.key.clone();
        for (nonce, records) in self.regs[i].outstanding.clone() {
            let m = self.register_message(i, nonce, records, true);
            self.send(out, to, &m, &key, "map_register");
        }
    }

    fn tick_registrations(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.cfg.mappings.is_empty() {
            return;
        }
        for i in 0..self.regs.len() {
            if now >= self.regs[i].next_round {
                self.start_round(i, now, out);
                continue;
            }
            let r = &self.regs[i];
            if r.outstanding.is_empty() || now < r.retry_at {
                continue;
            }
            if r.attempts < self.cfg.timers.register_retries {
                let retry = self.cfg.timers.register_retry * f64::from(2u32.pow(r.attempts + 1));
                let r = &mut self.regs[i];
                r.attempts += 1;
                r.retry_at = now + Duration::from_secs_f64(retry);
                bump(&mut self.counters.events, "register_retransmit");
                self.send_outstanding(i, out);
            } else if r.state != RegState::Failed {
                let msg = format!(
                    "map-server {}: no Map-Notify after {} Map-Registers{} (is the key right?)",
                    r.server.address.ip(),
                    r.attempts + 1,
                    if r.bad_auth > 0 {
                        ", Map-Notify with bad authentication seen"
                    } else {
                        ""
                    }
                );
                self.regs[i].state = RegState::Failed;
                self.regs[i].retry_at = self.regs[i].next_round;
                bump(&mut self.counters.events, "register_failed");
                self.log(out, Level::Warn, msg);
            }
        }
    }

    fn on_notify(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
        n: MapNotify,
        out: &mut Vec<Output>,
    ) {
        let Some(i) = self
            .regs
            .iter()
            .position(|r| r.server.address.ip() == from.ip())
        else {
            bump(&mut self.counters.dropped, "notify_unknown_server");
            return;
        };
        if let Err(e) = verify(bytes, &self.regs[i].server.key) {
            self.regs[i].bad_auth += 1;
            bump(&mut self.counters.dropped, "bad_auth");
            let msg = format!(
                "map-server {}: Map-Notify failed authentication ({e:?}), dropped",
                from.ip()
            );
            self.log(out, Level::Warn, msg);
            return;
        }
        let r = &mut self.regs[i];
        r.notifies += 1;
        if let Some(pos) = r
            .outstanding
            .iter()
            .position(|(nonce, _)| *nonce == n.nonce)
        {
            r.outstanding.remove(pos);
            if r.outstanding.is_empty() {
                r.last_notify = Some(now);
                let was = r.state;
                r.state = RegState::Registered;
                if was != RegState::Registered {
                    let msg = format!(
                        "map-server {}: registered {} EID prefix(es)",
                        from.ip(),
                        self.cfg.mappings.len()
                    );
                    self.log(out, Level::Info, msg);
                }
            }
            return;
        }
        // An unsolicited Map-Notify (the Map-Server's view changed): acknowledge it (RFC 9301
        // Map-Notify-Ack), signed with the same key.
        let ack = Message::NotifyAck(MapNotify {
            nonce: n.nonce,
            auth: self.regs[i].server.auth,
            records: n.records,
        });
        let key = self.regs[i].server.key.clone();
        self.send(out, from, &ack, &key, "map_notify_ack");
    }

    // ---- ETR: answering Map-Requests ------------------------------------------------------

    fn on_request(
        &mut self,
        now: Instant,
        reply_port: u16,
        req: MapRequest,
        out: &mut Vec<Output>,
    ) {
        if req.smr {
            self.on_smr(now, &req, out);
            return;
        }
        let mut records = Vec::new();
        for e in &req.eids {
            if let Some(m) = self
                .cfg
                .mappings
                .iter()
                .find(|m| m.covers(e.iid, &e.addr, e.plen))
            {
                let mut r = self.records(false, std::slice::from_ref(m));
                if req.probe {
                    for l in &mut r[0].locators {
                        l.probed = true;
                    }
                }
                if !records.contains(&r[0]) {
                    records.extend(r);
                }
            }
        }
        if records.is_empty() {
            bump(&mut self.counters.dropped, "request_not_ours");
            return;
        }
        // Answer at the first ITR-RLOC of a family this site has a locator in.
        let ours = |a: &IpAddr| {
            self.cfg
                .itr_rlocs
                .iter()
                .any(|r| r.is_ipv4() == a.is_ipv4())
        };
        let Some(itr) = req
            .itr_rlocs
            .iter()
            .find(|a| ours(a))
            .or(req.itr_rlocs.first())
            .copied()
        else {
            bump(&mut self.counters.dropped, "no_itr_rloc");
            return;
        };
        self.askers.insert(itr, now);
        let reply = Message::Reply(MapReply {
            nonce: req.nonce,
            probe: req.probe,
            echo_nonce: false,
            security: false,
            records,
        });
        let kind = if req.probe {
            "rloc_probe_reply"
        } else {
            "map_reply"
        };
        self.send(out, SocketAddr::new(itr, reply_port), &reply, &[], kind);
    }

    fn on_smr(&mut self, now: Instant, req: &MapRequest, out: &mut Vec<Output>) {
        // The sender's mapping changed: resolve again what we have cached of it. Both the
        // source EID and the EID records are taken, as implementations differ.
        let mut wanted: Vec<Eid> = req.eids.clone();
        wanted.extend(req.source_eid);
        let mut any = false;
        for e in wanted {
            let hits: Vec<(Key, String)> = self
                .learned
                .iter()
                .filter(|(k, _)| {
                    k.iid == e.iid
                        && crate::config::prefix_matches(&k.addr, &e.addr, k.plen.min(e.plen))
                })
                .map(|(k, l)| (*k, l.dev.clone()))
                .collect();
            for (k, dev) in hits {
                any = true;
                self.resolve(now, &dev, k.iid, k.addr, k.plen, Reason::Smr, out);
            }
        }
        if !any {
            bump(&mut self.counters.dropped, "smr_not_cached");
        }
    }

    // ---- ITR: resolution ------------------------------------------------------------------

    /// A packet on `dev` found no mapping for `eid` in `iid`.
    pub fn on_miss(
        &mut self,
        now: Instant,
        dev: &str,
        iid: u32,
        eid: IpAddr,
        out: &mut Vec<Output>,
    ) {
        bump(&mut self.counters.events, "miss");
        if self.iid_dev.get(&iid).is_none_or(|d| d != dev) {
            bump(&mut self.counters.dropped, "miss_iid_not_served");
            return;
        }
        if self
            .cfg
            .mappings
            .iter()
            .any(|m| m.covers(iid, &eid, if eid.is_ipv4() { 32 } else { 128 }))
        {
            bump(&mut self.counters.dropped, "miss_local_eid");
            return;
        }
        let plen = if eid.is_ipv4() { 32 } else { 128 };
        self.resolve(now, dev, iid, eid, plen, Reason::Miss, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn resolve(
        &mut self,
        now: Instant,
        dev: &str,
        iid: u32,
        eid: IpAddr,
        plen: u8,
        reason: Reason,
        out: &mut Vec<Output>,
    ) {
        if self.cfg.map_resolvers.is_empty() {
            bump(&mut self.counters.dropped, "no_map_resolver");
            return;
        }
        let key = (iid, eid);
        if self.inflight.contains_key(&key) {
            bump(&mut self.counters.events, "request_coalesced");
            return;
        }
        if reason == Reason::Miss {
            if let Some(t) = self.last_asked.get(&key) {
                if now.saturating_duration_since(*t) < self.request_interval() {
                    bump(&mut self.counters.events, "request_ratelimited");
                    return;
                }
            }
        }
        let rate = f64::from(self.cfg.timers.request_rate);
        self.tokens = (self.tokens
            + now.saturating_duration_since(self.tokens_at).as_secs_f64() * rate)
            .min(rate);
        self.tokens_at = now;
        if self.tokens < 1.0 {
            bump(&mut self.counters.events, "request_ratelimited");
            return;
        }
        self.tokens -= 1.0;
        let nonce = self.nonce();
        let p = Pending {
            dev: dev.to_string(),
            iid,
            eid,
            plen,
            reason,
            first: now,
            attempts: 0,
            next: now + Duration::from_secs_f64(self.cfg.timers.request_timeout),
        };
        self.inflight.insert(key, nonce);
        self.last_asked.insert(key, now);
        self.send_request(nonce, &p, out);
        self.pending.insert(nonce, p);
    }

    /// The inner source of an Encapsulated Map-Request for an EID of `eid`'s family.
    fn inner_source(&self, iid: u32, eid: &IpAddr) -> IpAddr {
        let same = |a: &IpAddr| a.is_ipv4() == eid.is_ipv4();
        if let Some(a) = self.cfg.itr_rlocs.iter().find(|a| same(a)) {
            return *a;
        }
        if let Some(m) = self
            .cfg
            .mappings
            .iter()
            .find(|m| m.iid == iid && same(&m.addr))
        {
            return m.addr;
        }
        if eid.is_ipv4() {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        }
    }

    fn send_request(&mut self, nonce: u64, p: &Pending, out: &mut Vec<Output>) {
        let req = MapRequest {
            nonce,
            authoritative: false,
            probe: false,
            smr: false,
            pitr: false,
            smr_invoked: p.reason == Reason::Smr,
            source_eid: None,
            itr_rlocs: self.cfg.itr_rlocs.clone(),
            eids: vec![Eid {
                iid: p.iid,
                addr: p.eid,
                plen: p.plen,
            }],
            map_reply: None,
        };
        let ecm = Message::Encap(Ecm {
            security: false,
            ddt: false,
            src: self.inner_source(p.iid, &p.eid),
            dst: p.eid,
            sport: CONTROL_PORT,
            dport: CONTROL_PORT,
            inner: Message::Request(req).encode(&[]),
        });
        // Retries go round the Map-Resolvers.
        let mr = self.cfg.map_resolvers[p.attempts as usize % self.cfg.map_resolvers.len()];
        self.send(out, mr, &ecm, &[], "map_request");
    }

    fn tick_requests(&mut self, now: Instant, out: &mut Vec<Output>) {
        let due: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.next)
            .map(|(n, _)| *n)
            .collect();
        for nonce in due {
            let Some(mut p) = self.pending.remove(&nonce) else {
                continue;
            };
            if p.attempts < self.cfg.timers.request_retries {
                p.attempts += 1;
                let t = self.cfg.timers.request_timeout * f64::from(2u32.pow(p.attempts));
                p.next = now + Duration::from_secs_f64(t);
                bump(&mut self.counters.events, "request_retransmit");
                self.send_request(nonce, &p, out);
                self.pending.insert(nonce, p);
            } else {
                self.inflight.remove(&(p.iid, p.eid));
                bump(&mut self.counters.events, "request_timeout");
                let msg = format!(
                    "no Map-Reply for {} in instance ID {} after {} Map-Requests",
                    p.eid,
                    p.iid,
                    p.attempts + 1
                );
                self.log(out, Level::Info, msg);
                if let Some(l) = self.learned.get_mut(&Key {
                    iid: p.iid,
                    addr: p.eid,
                    plen: p.plen,
                }) {
                    l.refreshing = false;
                }
            }
        }
    }

    fn on_reply(&mut self, now: Instant, rep: MapReply, out: &mut Vec<Output>) {
        let Some(p) = self.pending.remove(&rep.nonce) else {
            bump(&mut self.counters.dropped, "bad_nonce");
            return;
        };
        self.inflight.remove(&(p.iid, p.eid));
        for rec in rep.records {
            // Only what was asked for: a record must be of the instance ID and cover the EID.
            let covers = rec.eid.iid == p.iid
                && rec.eid.plen <= p.plen
                && crate::config::prefix_matches(&rec.eid.addr, &p.eid, rec.eid.plen);
            let key = if covers {
                Key {
                    iid: rec.eid.iid,
                    addr: masked(&rec.eid.addr, rec.eid.plen),
                    plen: rec.eid.plen,
                }
            } else if rec.locators.is_empty() && rec.eid.iid == p.iid {
                // A negative answer for a prefix beside the one asked for (Open Overlay Router
                // 1.3 computes its "largest uncovered prefix" wrongly): it still says the EID
                // has no mapping, so it holds for the EID itself.
                bump(&mut self.counters.events, "negative_prefix_narrowed");
                Key {
                    iid: p.iid,
                    addr: p.eid,
                    plen: p.plen,
                }
            } else {
                bump(&mut self.counters.dropped, "record_not_requested");
                continue;
            };
            if rec.ttl == 0 {
                // TTL 0: the mapping is withdrawn.
                if self.learned.remove(&key).is_some() {
                    out.push(Output::Remove {
                        dev: p.dev.clone(),
                        key,
                    });
                }
                continue;
            }
            if !self.learned.contains_key(&key) && self.learned.len() >= self.cfg.timers.max_learned
            {
                bump(&mut self.counters.dropped, "learned_limit");
                if self.counters.dropped["learned_limit"] == 1 {
                    let msg = format!(
                        "{} learned entries: limit reached, further mappings are not installed",
                        self.learned.len()
                    );
                    self.log(out, Level::Warn, msg);
                }
                continue;
            }
            let ttl = rec.ttl.saturating_mul(60).min(self.cfg.timers.max_ttl);
            let mut locs = rec.locators.clone();
            locs.sort_by_key(|l| l.priority);
            locs.truncate(lisp_uapi::LISP_MAX_RLOCS);
            let rlocs: Vec<_> = locs
                .iter()
                .map(|l| {
                    (
                        l.addr,
                        l.priority,
                        l.weight.min(lisp_uapi::LISP_WEIGHT_MAX),
                        l.reachable,
                    )
                })
                .collect();
            let action = rlocs.is_empty().then_some(match rec.action {
                Action::NativelyForward => Negative::Forward,
                Action::SendMapRequest => Negative::Notify,
                _ => Negative::Drop,
            });
            // Early enough that the refreshing Map-Request (retried after 1 s) is answered
            // before the kernel expires the entry; the engine ticks once a second.
            let margin = (ttl / 10).clamp(3, 60).min(ttl / 2);
            self.learned.insert(
                key,
                Learned {
                    dev: p.dev.clone(),
                    installed: now,
                    ttl,
                    refresh_at: now + Duration::from_secs(ttl.saturating_sub(margin).into()),
                    refreshing: false,
                    negative: rlocs.is_empty(),
                },
            );
            bump(
                &mut self.counters.events,
                if rlocs.is_empty() {
                    "installed_negative"
                } else {
                    "installed"
                },
            );
            let msg = format!(
                "{} {}/{} iid {}: {} ({}s)",
                match p.reason {
                    Reason::Miss => "learned",
                    Reason::Refresh => "refreshed",
                    Reason::Smr => "re-resolved after SMR",
                },
                key.addr,
                key.plen,
                key.iid,
                if rlocs.is_empty() {
                    format!("negative, {:?}", action.unwrap_or(Negative::Drop)).to_lowercase()
                } else {
                    rlocs
                        .iter()
                        .map(|r| r.0.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                },
                ttl
            );
            self.log(out, Level::Info, msg);
            out.push(Output::Install(Install {
                dev: p.dev.clone(),
                key,
                rlocs,
                ttl,
                action,
            }));
            if p.reason == Reason::Miss {
                let ms = now.saturating_duration_since(p.first).as_secs_f64() * 1e3;
                let l = &mut self.latency;
                l.count += 1;
                l.last_ms = ms;
                l.total_ms += ms;
                l.max_ms = l.max_ms.max(ms);
            }
        }
    }

    // ---- ITR: learned entries -------------------------------------------------------------

    fn tick_learned(&mut self, now: Instant, out: &mut Vec<Output>) {
        self.learned.retain(|_, l| now < l.expires());
        for (k, l) in self.learned.iter_mut() {
            if !l.refreshing && now >= l.refresh_at && !l.negative {
                l.refreshing = true;
                out.push(Output::CheckUsed {
                    dev: l.dev.clone(),
                    key: *k,
                });
            }
        }
    }

    /// The kernel's answer to `Output::CheckUsed`: `None` if the entry is gone.
    /// The kernel refused to install a learned entry (`map_full`: its map-cache is at the
    /// device's `mapmax`, ENOSPC). The entry is forgotten, so the next miss asks again, and the
    /// failure is counted (`dropped.map_full` or `dropped.install_failed` in `lispd status`).
    /// A full map-cache is logged as a warning once per run of failures, not per mapping.
    pub fn install_failed(
        &mut self,
        dev: &str,
        key: Key,
        map_full: bool,
        why: &str,
        out: &mut Vec<Output>,
    ) {
        if self.learned.get(&key).is_some_and(|l| l.dev == dev) {
            self.learned.remove(&key);
        }
        let (counter, first) = if map_full {
            let first = !self.map_full;
            self.map_full = true;
            ("map_full", first)
        } else {
            ("install_failed", true)
        };
        bump(&mut self.counters.dropped, counter);
        if first {
            let msg = if map_full {
                format!(
                    "{dev}: map-cache full, learned mappings are not installed until entries \
                     go ({why}); raise the device's mapmax or lower [timers] max-learned"
                )
            } else {
                format!(
                    "{dev}: cannot install {}/{} iid {}: {why}",
                    key.addr, key.plen, key.iid
                )
            };
            self.log(out, Level::Warn, msg);
        }
    }

    /// A learned entry went in: a full map-cache is reported again if it fills once more.
    pub fn installed(&mut self) {
        self.map_full = false;
    }

    pub fn used(
        &mut self,
        now: Instant,
        dev: &str,
        key: Key,
        used: Option<bool>,
        out: &mut Vec<Output>,
    ) {
        match used {
            None => {
                self.learned.remove(&key);
            }
            Some(true) => {
                bump(&mut self.counters.events, "refresh");
                self.resolve(now, dev, key.iid, key.addr, key.plen, Reason::Refresh, out);
            }
            // Not in use: it runs out, and a later packet resolves it again.
            Some(false) => bump(&mut self.counters.events, "expire_unused"),
        }
    }

    // ---- Input ----------------------------------------------------------------------------

    /// A control datagram arrived from `from`.
    pub fn on_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
        out: &mut Vec<Output>,
    ) {
        bump(&mut self.counters.events, "datagrams");
        let m = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                bump(&mut self.counters.events, "malformed");
                bump(&mut self.counters.dropped, e.name());
                let msg = format!("malformed control message from {from}: {e}");
                self.log(out, Level::Debug, msg);
                return;
            }
        };
        let kind = match &m {
            Message::Request(r) if r.smr => "smr",
            Message::Request(r) if r.probe => "rloc_probe",
            Message::Encap(_) => "ecm_map_request",
            m => m.kind(),
        };
        match m {
            Message::Encap(ecm) => match Message::decode(&ecm.inner) {
                Ok(Message::Request(req)) => {
                    bump(&mut self.counters.received, kind);
                    self.on_request(now, ecm.sport, req, out)
                }
                Ok(_) => {
                    bump(&mut self.counters.events, "malformed");
                    bump(&mut self.counters.dropped, "ecm_not_map_request")
                }
                Err(e) => {
                    bump(&mut self.counters.events, "malformed");
                    bump(&mut self.counters.dropped, e.name())
                }
            },
            m => {
                bump(&mut self.counters.received, kind);
                match m {
                    Message::Request(req) => self.on_request(now, from.port(), req, out),
                    Message::Reply(rep) => self.on_reply(now, rep, out),
                    Message::Notify(n) => self.on_notify(now, from, bytes, n, out),
                    // lispd is no Map-Server.
                    _ => bump(&mut self.counters.dropped, "unexpected_kind"),
                }
            }
        }
    }

    // ---- Reload and shutdown --------------------------------------------------------------

    /// Takes a new configuration (SIGHUP).
    pub fn reload(&mut self, cfg: Config, serves: &Serves, now: Instant, out: &mut Vec<Output>) {
        let removed: Vec<Mapping> = self
            .cfg
            .mappings
            .iter()
            .filter(|m| !cfg.mappings.contains(m))
            .cloned()
            .collect();
        let changed: Vec<Mapping> = cfg
            .mappings
            .iter()
            .filter(|m| !self.cfg.mappings.contains(m))
            .chain(removed.iter())
            .cloned()
            .collect();
        let old_servers = std::mem::take(&mut self.regs);
        let old_cfg = std::mem::replace(&mut self.cfg, cfg);
        self.set_serves(serves);
        // Keep the state of Map-Servers that stay as they were.
        for s in &self.cfg.map_servers {
            let kept = old_servers.iter().position(|r| r.server == *s);
            let mut r = match kept {
                Some(i) => old_servers[i].clone(),
                None => registration(s.clone(), now),
            };
            if !changed.is_empty() {
                r.next_round = now;
            }
            self.regs.push(r);
        }
        // Withdraw what was removed: TTL 0 records, to the servers that had them.
        if !removed.is_empty() {
            let records = self.records(true, &removed);
            for i in 0..self.regs.len() {
                if self.regs[i].server.withdraw
                    && old_cfg.map_servers.contains(&self.regs[i].server)
                {
                    let nonce = self.nonce();
                    let m = self.register_message(i, nonce, records.clone(), false);
                    let (to, key) = (self.regs[i].server.address, self.regs[i].server.key.clone());
                    self.send(out, to, &m, &key, "map_register");
                }
            }
        }
        // Learned entries of instance IDs no longer served go.
        let stale: Vec<Key> = self
            .learned
            .iter()
            .filter(|(k, l)| self.iid_dev.get(&k.iid) != Some(&l.dev))
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            if let Some(l) = self.learned.remove(&k) {
                out.push(Output::Remove { dev: l.dev, key: k });
            }
        }
        if !changed.is_empty() {
            self.send_smrs(&changed, out);
        }
        self.tick(now, out);
        let msg = format!(
            "configuration reloaded: {} mapping(s) changed",
            changed.len()
        );
        self.log(out, Level::Info, msg);
    }

    /// Solicit-Map-Requests for `changed` to every ITR that recently asked us.
    fn send_smrs(&mut self, changed: &[Mapping], out: &mut Vec<Output>) {
        let askers: Vec<IpAddr> = self.askers.keys().copied().collect();
        for m in changed {
            for a in &askers {
                let nonce = self.nonce();
                let eid = Eid {
                    iid: m.iid,
                    addr: m.addr,
                    plen: m.plen,
                };
                let smr = Message::Request(MapRequest {
                    nonce,
                    authoritative: false,
                    probe: false,
                    smr: true,
                    pitr: false,
                    smr_invoked: false,
                    source_eid: Some(eid),
                    itr_rlocs: self.cfg.itr_rlocs.clone(),
                    eids: vec![eid],
                    map_reply: None,
                });
                self.send(out, SocketAddr::new(*a, CONTROL_PORT), &smr, &[], "smr");
            }
        }
    }

    /// Everything learned, to be removed at exit.
    pub fn shutdown(&mut self, out: &mut Vec<Output>) {
        for (k, l) in self.learned.drain() {
            out.push(Output::Remove { dev: l.dev, key: k });
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    // ---- Status ---------------------------------------------------------------------------

    /// The status query's answer.
    pub fn status(&self, now: Instant) -> serde_json::Value {
        let ago = |t: Option<Instant>| t.map(|t| now.saturating_duration_since(t).as_secs_f64());
        let regs: Vec<_> = self
            .regs
            .iter()
            .map(|r| {
                serde_json::json!({
                    "map_server": r.server.address.ip().to_string(),
                    "key_type": auth_name(r.server.auth),
                    "proxy_reply": r.server.proxy_reply,
                    "state": r.state,
                    "records": self.cfg.mappings.len(),
                    "last_register_s": ago(r.last_register),
                    "last_notify_s": ago(r.last_notify),
                    "map_notify": r.notifies,
                    "bad_auth": r.bad_auth,
                })
            })
            .collect();
        let mut pending: Vec<_> = self.pending.values().collect();
        pending.sort_by_key(|p| p.first);
        let shown: Vec<_> = pending
            .iter()
            .take(100)
            .map(|p| {
                serde_json::json!({
                    "iid": p.iid,
                    "eid": p.eid.to_string(),
                    "reason": p.reason,
                    "attempts": p.attempts + 1,
                    "age_s": now.saturating_duration_since(p.first).as_secs_f64(),
                })
            })
            .collect();
        let negative = self.learned.values().filter(|l| l.negative).count();
        let l = &self.latency;
        serde_json::json!({
            "uptime_s": now.saturating_duration_since(self.started).as_secs(),
            "registrations": regs,
            "map_resolvers": self.cfg.map_resolvers.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>(),
            "pending_count": self.pending.len(),
            "pending": shown,
            "learned": self.learned.len(),
            "learned_negative": negative,
            "resolution": {
                "count": l.count,
                "last_ms": l.last_ms,
                "max_ms": l.max_ms,
                "avg_ms": if l.count > 0 { l.total_ms / l.count as f64 } else { 0.0 },
            },
            "sent": self.counters.sent,
            "received": self.counters.received,
            "dropped": self.counters.dropped,
            "events": self.counters.events,
        })
    }
}

fn registration(server: MapServer, now: Instant) -> Registration {
    Registration {
        server,
        state: RegState::Idle,
        outstanding: Vec::new(),
        attempts: 0,
        retry_at: now,
        next_round: now,
        last_register: None,
        last_notify: None,
        notifies: 0,
        bad_auth: 0,
    }
}

/// The configuration-file name of an authentication algorithm.
pub fn auth_name(a: Auth) -> &'static str {
    match a {
        Auth::None => "none",
        Auth::HmacSha1 => "hmac-sha-1-96",
        Auth::HmacSha256 => "hmac-sha-256-128",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = r#"
log-level = "debug"
[timers]
max-ttl = 60
[[device]]
name = "lisp0"
instance-ids = [7]
[[map-server]]
address = "10.0.0.254"
key = "s3cret-key"
key-type = "hmac-sha-256-128"
[[map-resolver]]
address = "10.0.0.254"
[[database-mapping]]
iid = 7
eid-prefix = "172.16.1.0/24"
[[database-mapping.rloc]]
address = "10.0.0.1"
"#;
    const KEY: &[u8] = b"s3cret-key";

    fn ms() -> SocketAddr {
        "10.0.0.254:4342".parse().unwrap()
    }

    fn engine(text: &str) -> (Engine, Instant) {
        let now = Instant::now();
        let cfg = Config::parse(text).unwrap();
        let serves = vec![("lisp0".to_string(), vec![7])];
        (Engine::new(cfg, &serves, now, 42), now)
    }

    fn sent(out: &[Output]) -> Vec<(SocketAddr, Vec<u8>)> {
        out.iter()
            .filter_map(|o| match o {
                Output::Send { to, bytes } => Some((*to, bytes.clone())),
                _ => None,
            })
            .collect()
    }

    fn installs(out: &[Output]) -> Vec<Install> {
        out.iter()
            .filter_map(|o| match o {
                Output::Install(i) => Some(i.clone()),
                _ => None,
            })
            .collect()
    }

    fn notify_for(register: &[u8], key: &[u8]) -> Vec<u8> {
        let Ok(Message::Register(r)) = Message::decode(register) else {
            panic!("not a register")
        };
        Message::Notify(MapNotify {
            nonce: r.nonce,
            auth: r.auth,
            records: r.records,
        })
        .encode(key)
    }

    /// A miss, answered; returns the Map-Request the engine sent.
    fn resolve_with(
        e: &mut Engine,
        now: Instant,
        eid: &str,
        records: Vec<Record>,
    ) -> (MapRequest, Vec<Output>) {
        let mut out = Vec::new();
        e.on_miss(now, "lisp0", 7, eid.parse().unwrap(), &mut out);
        let s = sent(&out);
        assert_eq!(s.len(), 1, "{out:?}");
        assert_eq!(s[0].0, ms());
        let Ok(Message::Encap(ecm)) = Message::decode(&s[0].1) else {
            panic!("not an ECM")
        };
        assert_eq!(ecm.dst, eid.parse::<IpAddr>().unwrap());
        assert_eq!((ecm.sport, ecm.dport), (4342, 4342));
        let Ok(Message::Request(req)) = Message::decode(&ecm.inner) else {
            panic!("not a request")
        };
        let reply = Message::Reply(MapReply {
            nonce: req.nonce,
            probe: false,
            echo_nonce: false,
            security: false,
            records,
        });
        let mut out = Vec::new();
        e.on_datagram(
            now,
            "10.0.0.2:4342".parse().unwrap(),
            &reply.encode(&[]),
            &mut out,
        );
        (req, out)
    }

    fn record(prefix: &str, plen: u8, rlocs: &[&str], action: Action, ttl: u32) -> Record {
        Record {
            ttl,
            eid: Eid {
                iid: 7,
                addr: prefix.parse().unwrap(),
                plen,
            },
            action,
            authoritative: true,
            version: 0,
            locators: rlocs
                .iter()
                .map(|a| Locator {
                    addr: a.parse().unwrap(),
                    priority: 1,
                    weight: 100,
                    mpriority: 255,
                    mweight: 0,
                    local: false,
                    probed: false,
                    reachable: true,
                })
                .collect(),
        }
    }

    #[test]
    fn registers_until_notified() {
        let (mut e, t0) = engine(CFG);
        let mut out = Vec::new();
        e.tick(t0, &mut out);
        let s = sent(&out);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, ms());
        verify(&s[0].1, KEY).unwrap();
        let Ok(Message::Register(r)) = Message::decode(&s[0].1) else {
            panic!()
        };
        assert!(r.want_map_notify);
        assert_eq!(r.auth, Auth::HmacSha256);
        assert_eq!(
            r.records[0].eid,
            Eid {
                iid: 7,
                addr: "172.16.1.0".parse().unwrap(),
                plen: 24
            }
        );
        // No Map-Notify: sent again after 1 s, then 2 s later.
        let mut out = Vec::new();
        e.tick(t0 + Duration::from_millis(1100), &mut out);
        assert_eq!(sent(&out).len(), 1);
        // A Map-Notify signed with another key is dropped.
        let mut out = Vec::new();
        e.on_datagram(
            t0 + Duration::from_secs(2),
            ms(),
            &notify_for(&s[0].1, b"wrong"),
            &mut out,
        );
        assert_eq!(e.counters.dropped["bad_auth"], 1);
        assert_eq!(e.regs[0].state, RegState::Registering);
        // The right one confirms.
        e.on_datagram(
            t0 + Duration::from_secs(2),
            ms(),
            &notify_for(&s[0].1, KEY),
            &mut out,
        );
        assert_eq!(e.regs[0].state, RegState::Registered);
        let st = e.status(t0 + Duration::from_secs(3)).to_string();
        assert!(st.contains("\"registered\""), "{st}");
        assert!(!st.contains("s3cret"), "{st}");
        // Nothing more until the next round.
        let mut out = Vec::new();
        e.tick(t0 + Duration::from_secs(30), &mut out);
        assert!(sent(&out).is_empty());
        e.tick(t0 + Duration::from_secs(61), &mut out);
        assert_eq!(sent(&out).len(), 1);
    }

    #[test]
    fn registration_fails_without_notify() {
        let (mut e, t0) = engine(CFG);
        let mut out = Vec::new();
        let mut t = t0;
        for _ in 0..20 {
            e.tick(t, &mut out);
            t += Duration::from_secs(1);
        }
        // 1 + 3 retransmissions, then a warning.
        assert_eq!(e.counters.sent["map_register"], 4);
        assert_eq!(e.regs[0].state, RegState::Failed);
        assert!(out.iter().any(
            |o| matches!(o, Output::Log(Level::Warn, m) if m.contains("no Map-Notify after 4"))
        ));
    }

    #[test]
    fn unsolicited_notify_is_acked() {
        let (mut e, t0) = engine(CFG);
        let n = Message::Notify(MapNotify {
            nonce: 99,
            auth: Auth::HmacSha256,
            records: vec![],
        })
        .encode(KEY);
        let mut out = Vec::new();
        e.on_datagram(t0, ms(), &n, &mut out);
        let s = sent(&out);
        assert_eq!(s.len(), 1);
        verify(&s[0].1, KEY).unwrap();
        assert!(matches!(
            Message::decode(&s[0].1),
            Ok(Message::NotifyAck(MapNotify { nonce: 99, .. }))
        ));
    }

    #[test]
    fn miss_resolves_and_installs() {
        let (mut e, t0) = engine(CFG);
        let rec = record(
            "172.16.2.0",
            24,
            &["10.0.0.2", "fd00::2"],
            Action::NoAction,
            1440,
        );
        let (req, out) = resolve_with(&mut e, t0, "172.16.2.10", vec![rec]);
        assert_eq!(req.itr_rlocs, vec!["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(
            req.eids,
            vec![Eid {
                iid: 7,
                addr: "172.16.2.10".parse().unwrap(),
                plen: 32
            }]
        );
        let i = installs(&out);
        assert_eq!(i.len(), 1);
        assert_eq!(
            i[0].key,
            Key {
                iid: 7,
                addr: "172.16.2.0".parse().unwrap(),
                plen: 24
            }
        );
        assert_eq!(i[0].rlocs.len(), 2);
        assert_eq!(i[0].ttl, 60, "capped by max-ttl");
        assert_eq!(i[0].action, None);
        assert_eq!(e.status(t0)["learned"], 1);
    }

    #[test]
    fn full_map_cache_forgets_and_counts() {
        let (mut e, t0) = engine(CFG);
        let rec = record("172.16.2.0", 24, &["10.0.0.2"], Action::NoAction, 1440);
        let (_, out) = resolve_with(&mut e, t0, "172.16.2.10", vec![rec]);
        let i = installs(&out);
        assert_eq!(e.status(t0)["learned"], 1);
        let mut out = Vec::new();
        let why = "map-cache full (1 entries, IFLA_LISP_MAP_MAX)";
        e.install_failed(&i[0].dev, i[0].key, true, why, &mut out);
        e.install_failed(&i[0].dev, i[0].key, true, why, &mut out);
        let st = e.status(t0);
        assert_eq!(st["learned"], 0, "a refused entry is not learned");
        assert_eq!(st["dropped"]["map_full"], 2);
        let warned = |out: &[Output]| {
            out.iter()
                .filter(|o| matches!(o, Output::Log(Level::Warn, m) if m.contains(why)))
                .count()
        };
        assert_eq!(warned(&out), 1, "logged once per run of failures: {out:?}");
        // After an install went in, a full map-cache is reported again.
        e.installed();
        let mut out = Vec::new();
        e.install_failed(&i[0].dev, i[0].key, true, why, &mut out);
        assert_eq!(warned(&out), 1);
        let mut out = Vec::new();
        e.install_failed(&i[0].dev, i[0].key, false, "Invalid argument", &mut out);
        assert_eq!(e.status(t0)["dropped"]["install_failed"], 1);
        assert!(
            matches!(&out[..], [Output::Log(Level::Warn, m)] if m.contains("Invalid argument"))
        );
    }

    #[test]
    fn negative_reply_installs_negative_entry() {
        let (mut e, t0) = engine(CFG);
        let rec = record("172.16.0.0", 16, &[], Action::NativelyForward, 15);
        let (_, out) = resolve_with(&mut e, t0, "172.16.9.9", vec![rec]);
        let i = installs(&out);
        assert_eq!(i[0].action, Some(Negative::Forward));
        assert!(i[0].rlocs.is_empty());
    }

    #[test]
    fn negative_reply_beside_the_eid_holds_for_the_eid() {
        let (mut e, t0) = engine(CFG);
        let rec = record("193.168.8.0", 21, &[], Action::NoAction, 15);
        let (_, out) = resolve_with(&mut e, t0, "192.168.9.1", vec![rec]);
        let i = installs(&out);
        assert_eq!(
            i[0].key,
            Key {
                iid: 7,
                addr: "192.168.9.1".parse().unwrap(),
                plen: 32
            }
        );
        assert_eq!(i[0].action, Some(Negative::Drop));
    }

    #[test]
    fn unrequested_records_and_nonces_are_dropped() {
        let (mut e, t0) = engine(CFG);
        // A record for another prefix than the one asked for.
        let rec = record("10.9.0.0", 16, &["10.0.0.2"], Action::NoAction, 10);
        let (_, out) = resolve_with(&mut e, t0, "172.16.2.10", vec![rec]);
        assert!(installs(&out).is_empty());
        assert_eq!(e.counters.dropped["record_not_requested"], 1);
        // A reply nobody asked for.
        let bogus = Message::Reply(MapReply {
            nonce: 1234,
            probe: false,
            echo_nonce: false,
            security: false,
            records: vec![],
        });
        let mut out = Vec::new();
        e.on_datagram(t0, ms(), &bogus.encode(&[]), &mut out);
        assert_eq!(e.counters.dropped["bad_nonce"], 1);
        assert!(installs(&out).is_empty());
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let (mut e, t0) = engine(CFG);
        let mut out = Vec::new();
        e.on_miss(t0, "lisp0", 7, "172.16.2.10".parse().unwrap(), &mut out);
        // Coalesced while outstanding.
        e.on_miss(t0, "lisp0", 7, "172.16.2.10".parse().unwrap(), &mut out);
        assert_eq!(sent(&out).len(), 1);
        for ms in (0..20_000).step_by(100) {
            let mut out = Vec::new();
            e.tick(t0 + Duration::from_millis(ms), &mut out);
        }
        // 1 s, then 2 s, then 4 s later: t = 1, 3, 7 s; given up at 15 s.
        assert_eq!(e.counters.events["request_retransmit"], 3);
        assert_eq!(e.counters.events["request_timeout"], 1);
        assert!(e.pending.is_empty() && e.inflight.is_empty());
    }

    #[test]
    fn one_resolution_per_destination_and_interval() {
        let (mut e, t0) = engine(CFG);
        let rec = record("172.16.2.10", 32, &[], Action::Drop, 0);
        let (_, _) = resolve_with(&mut e, t0, "172.16.2.10", vec![rec]);
        let mut out = Vec::new();
        e.on_miss(
            t0 + Duration::from_millis(500),
            "lisp0",
            7,
            "172.16.2.10".parse().unwrap(),
            &mut out,
        );
        assert!(sent(&out).is_empty());
        assert_eq!(e.counters.events["request_ratelimited"], 1);
        e.on_miss(
            t0 + Duration::from_millis(1500),
            "lisp0",
            7,
            "172.16.2.10".parse().unwrap(),
            &mut out,
        );
        assert_eq!(sent(&out).len(), 1);
        // Instance IDs the device does not serve, and local EIDs, are not resolved.
        let mut out = Vec::new();
        e.on_miss(t0, "lisp0", 8, "172.16.3.1".parse().unwrap(), &mut out);
        e.on_miss(t0, "lisp0", 7, "172.16.1.5".parse().unwrap(), &mut out);
        assert!(sent(&out).is_empty());
    }

    /// A Map-Request for our 172.16.1.10 in instance ID 7, from ITR-RLOCs `itr`.
    fn request_for(nonce: u64, itr: &[&str]) -> MapRequest {
        MapRequest {
            nonce,
            authoritative: false,
            probe: false,
            smr: false,
            pitr: false,
            smr_invoked: false,
            source_eid: None,
            itr_rlocs: itr.iter().map(|a| a.parse().unwrap()).collect(),
            eids: vec![Eid {
                iid: 7,
                addr: "172.16.1.10".parse().unwrap(),
                plen: 32,
            }],
            map_reply: None,
        }
    }

    #[test]
    fn answers_requests_for_own_eids() {
        let (mut e, t0) = engine(CFG);
        let req = request_for(0xabcdef, &["fd00::3", "10.0.0.3"]);
        // Forwarded by the Map-Server inside an ECM: answered at the ITR-RLOC of our family,
        // at the inner source port.
        let ecm = Message::Encap(Ecm {
            security: false,
            ddt: false,
            src: "10.0.0.3".parse().unwrap(),
            dst: "172.16.1.10".parse().unwrap(),
            sport: 61000,
            dport: 4342,
            inner: Message::Request(req.clone()).encode(&[]),
        });
        let mut out = Vec::new();
        e.on_datagram(t0, ms(), &ecm.encode(&[]), &mut out);
        let s = sent(&out);
        assert_eq!(s[0].0, "10.0.0.3:61000".parse().unwrap());
        let Ok(Message::Reply(r)) = Message::decode(&s[0].1) else {
            panic!()
        };
        assert_eq!(r.nonce, 0xabcdef);
        assert!(r.records[0].authoritative);
        assert_eq!(r.records[0].eid.plen, 24);
        assert_eq!(
            r.records[0].locators[0].addr,
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        // An RLOC-probe, sent directly: the reply has the P bit.
        let probe = Message::Request(MapRequest {
            probe: true,
            ..req.clone()
        });
        let mut out = Vec::new();
        e.on_datagram(
            t0,
            "10.0.0.3:4342".parse().unwrap(),
            &probe.encode(&[]),
            &mut out,
        );
        let s = sent(&out);
        assert!(matches!(
            Message::decode(&s[0].1),
            Ok(Message::Reply(MapReply { probe: true, .. }))
        ));
        assert_eq!(e.counters.received["rloc_probe"], 1);
        assert_eq!(e.counters.received["ecm_map_request"], 1);
        // Not ours: no answer.
        let other = Message::Request(MapRequest {
            eids: vec![Eid {
                iid: 7,
                addr: "172.16.5.1".parse().unwrap(),
                plen: 32,
            }],
            ..req
        });
        let mut out = Vec::new();
        e.on_datagram(
            t0,
            "10.0.0.3:4342".parse().unwrap(),
            &other.encode(&[]),
            &mut out,
        );
        assert!(sent(&out).is_empty());
        assert_eq!(e.counters.dropped["request_not_ours"], 1);
    }

    #[test]
    fn refreshes_only_what_is_used() {
        let (mut e, t0) = engine(CFG);
        let rec = record("172.16.2.0", 24, &["10.0.0.2"], Action::NoAction, 1);
        resolve_with(&mut e, t0, "172.16.2.10", vec![rec]);
        let key = Key {
            iid: 7,
            addr: "172.16.2.0".parse().unwrap(),
            plen: 24,
        };
        // TTL 60 s (1 min), refreshed 6 s before.
        let mut out = Vec::new();
        e.tick(t0 + Duration::from_secs(50), &mut out);
        assert!(!out.iter().any(|o| matches!(o, Output::CheckUsed { .. })));
        e.tick(t0 + Duration::from_secs(55), &mut out);
        assert!(out.contains(&Output::CheckUsed {
            dev: "lisp0".into(),
            key
        }));
        let mut out = Vec::new();
        e.used(
            t0 + Duration::from_secs(55),
            "lisp0",
            key,
            Some(true),
            &mut out,
        );
        let s = sent(&out);
        assert_eq!(s.len(), 1, "a refreshing Map-Request");
        // Unused: no request, and the entry is forgotten when it runs out.
        let (mut e, t0) = engine(CFG);
        resolve_with(
            &mut e,
            t0,
            "172.16.2.10",
            vec![record("172.16.2.0", 24, &["10.0.0.2"], Action::NoAction, 1)],
        );
        let mut out = Vec::new();
        e.used(
            t0 + Duration::from_secs(55),
            "lisp0",
            key,
            Some(false),
            &mut out,
        );
        assert!(sent(&out).is_empty());
        e.tick(t0 + Duration::from_secs(61), &mut out);
        assert_eq!(e.status(t0)["learned"], 0);
    }

    #[test]
    fn smr_triggers_reresolution() {
        let (mut e, t0) = engine(CFG);
        resolve_with(
            &mut e,
            t0,
            "172.16.2.10",
            vec![record(
                "172.16.2.0",
                24,
                &["10.0.0.2"],
                Action::NoAction,
                10,
            )],
        );
        let eid = Eid {
            iid: 7,
            addr: "172.16.2.0".parse().unwrap(),
            plen: 24,
        };
        let smr = Message::Request(MapRequest {
            smr: true,
            source_eid: Some(eid),
            eids: vec![eid],
            ..request_for(5, &["10.0.0.2"])
        });
        let mut out = Vec::new();
        e.on_datagram(
            t0 + Duration::from_millis(100),
            "10.0.0.2:4342".parse().unwrap(),
            &smr.encode(&[]),
            &mut out,
        );
        let s = sent(&out);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, ms());
        let Ok(Message::Encap(ecm)) = Message::decode(&s[0].1) else {
            panic!()
        };
        let Ok(Message::Request(req)) = Message::decode(&ecm.inner) else {
            panic!()
        };
        assert!(req.smr_invoked);
    }

    #[test]
    fn reload_reregisters_withdraws_and_solicits() {
        let (mut e, t0) = engine(CFG);
        // hv3 asked us for our EIDs.
        let req = Message::Request(request_for(1, &["10.0.0.3"]));
        let mut out = Vec::new();
        e.on_datagram(
            t0,
            "10.0.0.3:4342".parse().unwrap(),
            &req.encode(&[]),
            &mut out,
        );
        let moved = CFG.replace("172.16.1.0/24", "172.16.4.0/24");
        let serves = vec![("lisp0".to_string(), vec![7])];
        let mut out = Vec::new();
        e.reload(
            Config::parse(&moved).unwrap(),
            &serves,
            t0 + Duration::from_secs(5),
            &mut out,
        );
        let msgs: Vec<(SocketAddr, Message)> = sent(&out)
            .into_iter()
            .map(|(to, b)| (to, Message::decode(&b).unwrap()))
            .collect();
        let withdraw = msgs.iter().any(|(_, m)| matches!(m, Message::Register(r) if r.records[0].ttl == 0 && !r.want_map_notify));
        let register = msgs.iter().any(|(_, m)| matches!(m, Message::Register(r) if r.records[0].ttl == 1440 && r.want_map_notify));
        let smrs = msgs
            .iter()
            .filter(|(to, m)| {
                *to == "10.0.0.3:4342".parse().unwrap() && matches!(m, Message::Request(r) if r.smr)
            })
            .count();
        assert!(withdraw && register, "{msgs:?}");
        assert_eq!(smrs, 2, "one per changed mapping");
    }

    #[test]
    fn malformed_input_is_counted_not_fatal() {
        let (mut e, t0) = engine(CFG);
        let mut out = Vec::new();
        let mut x: u64 = 7;
        let valid = Message::Request(request_for(1, &["10.0.0.3"])).encode(&[]);
        for n in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut b = valid.clone();
            let i = (x as usize) % b.len();
            b[i] ^= (x >> 32) as u8 | 1;
            b.truncate(b.len() - (n as usize % 4));
            e.on_datagram(t0, "10.0.0.9:4342".parse().unwrap(), &b, &mut out);
        }
        assert!(installs(&out).is_empty());
        let c = &e.counters;
        let accepted: u64 = c.received.values().sum();
        assert_eq!(c.events["datagrams"], 20_000);
        assert_eq!(
            accepted + c.events["malformed"],
            20_000,
            "{:?} {:?}",
            c.received,
            c.dropped
        );
        assert!(c.events["malformed"] > 10_000);
    }
}
