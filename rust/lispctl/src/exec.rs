// SPDX-License-Identifier: GPL-2.0

//! Running commands and batches over a `Transport`: which requests each command sends, how the
//! replies are printed, how batches are packed and how their errors are traced to lines.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use lisp_uapi::*;
use neli::consts::{nl::NlmF, rtnl::Rtm};

use crate::args::{help_text, parse_command, parse_object, Command, LineWords, Op};
use crate::error::Error;
#[cfg(test)]
use crate::exit_code;
use crate::model::{Event, LinkInfo, MapEntry};
use crate::nl::{self, Proto, Transport};
use crate::print::{self, Mode, Printer};
use crate::wire::{self, Blame, Packer, Span, BATCH_MSG_MAX};

/// What sees the replies of a lisp request: the printer and the reply's attributes.
type OnReply<'r, 'a> = &'r mut dyn FnMut(&mut Printer<'a>, &[wire::Attr]) -> Result<(), Error>;

/// Opens a transport for a protocol.
pub type Opener<'a> = Box<dyn FnMut(Proto) -> Result<Box<dyn Transport>, Error> + 'a>;

/// A batch failure: where, why, and how much was applied before it.
#[derive(Debug)]
pub struct BatchError {
    pub location: String,
    pub cause: Error,
    /// What was applied (empty for parse errors, which stop the batch before anything is sent).
    pub note: String,
}

/// `\rloaded N/M` on a terminal, for loads that take a while.
struct Progress {
    enabled: bool,
    total: usize,
    start: Instant,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Progress {
        let now = Instant::now();
        Progress {
            enabled,
            total,
            start: now,
            last: now,
            shown: false,
        }
    }

    fn update(&mut self, done: usize) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now - self.start < Duration::from_millis(500)
            || now - self.last < Duration::from_millis(100)
        {
            return;
        }
        self.last = now;
        self.shown = true;
        eprint!("\rloaded {done}/{}", self.total);
    }

    /// Clears the progress line.
    fn finish(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

/// Bytes of requests a batch builds while its lines are checked (see `Plan`).
const PLAN_MAX: usize = 32 << 20;

/// Consecutive map changes with the same command, flags and device share requests: the packer
/// filling them, their kind (`None` between groups), and where full requests go.
struct MapBatch {
    packer: Packer,
    group: Option<Op>,
    dev: String,
    /// While the batch is checked: the requests built, to be sent once every line is good.
    /// `None`: requests go to the kernel.
    plan: Option<Plan>,
}

impl MapBatch {
    fn new(plan: Option<Plan>) -> MapBatch {
        MapBatch {
            // The family id is not known before the batch is checked: patched in when sending.
            packer: Packer::new(BATCH_MSG_MAX),
            group: None,
            dev: String::new(),
            plan,
        }
    }

    fn same_group(&self, op: Op, dev: &str) -> bool {
        self.group == Some(op) && self.dev == dev
    }
}

/// What a batch does, in order, built while its lines are checked, so that the lines a request
/// holds are parsed once: requests and the other commands. It stops growing at `PLAN_MAX`; the
/// lines after that are parsed again when sent.
struct Plan {
    /// Size at which it stops growing (PLAN_MAX; smaller in tests).
    max: usize,
    size: usize,
    steps: Vec<Step>,
}

enum Step {
    /// A request of map changes, and the line of each nest (where the nests are is found again
    /// from the bytes).
    Request { req: Vec<u8>, lines: Vec<usize> },
    /// A command other than a map change, on line `line`.
    Command { line: usize, text: String },
}

impl Plan {
    fn add_request(&mut self, packer: &mut Packer) {
        let (req, spans) = packer.take();
        let lines: Vec<usize> = spans.iter().map(|s| s.line).collect();
        self.size += req.len() + std::mem::size_of_val(&lines[..]);
        self.steps.push(Step::Request { req, lines });
    }

    fn full(&self) -> bool {
        self.size >= self.max
    }
}

fn commands(n: usize) -> String {
    if n == 1 {
        "1 command".into()
    } else {
        format!("{n} commands")
    }
}

/// Describes a failure of a batch; `applied` commands before it were applied.
fn batch_error(cause: Error, blame: Blame, applied: usize) -> BatchError {
    match blame {
        Blame::Line { line, .. } => BatchError {
            location: format!("line {line}"),
            cause,
            note: format!(
                "{} before line {line} applied, none after it",
                commands(applied)
            ),
        },
        Blame::Range { first, last } => BatchError {
            location: format!("lines {first}-{last}"),
            cause,
            note: format!(
                "{} before line {first} applied; lines {first}-{last} may be partly applied, \
                 none after them",
                commands(applied)
            ),
        },
    }
}

pub struct Ctx<'a> {
    out: Printer<'a>,
    open: Opener<'a>,
    genl: Option<Box<dyn Transport>>,
    route: Option<Box<dyn Transport>>,
    family: Option<wire::Family>,
    progress: Progress,
    /// PLAN_MAX (smaller in tests).
    plan_max: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(out: Printer<'a>, open: Opener<'a>) -> Ctx<'a> {
        Ctx {
            out,
            open,
            genl: None,
            route: None,
            family: None,
            progress: Progress::new(false, 0),
            plan_max: PLAN_MAX,
        }
    }

    /// Flushes the output; the first write error, if any.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// The lisp family (id, groups), resolved once through nlctrl.
    fn family(&mut self) -> Result<&wire::Family, Error> {
        if self.genl.is_none() {
            self.genl = Some((self.open)(Proto::Generic)?);
        }
        if self.family.is_none() {
            let t = self.genl.as_mut().expect("opened above");
            self.family = Some(nl::lisp_family(t.as_mut())?);
        }
        Ok(self.family.as_ref().expect("resolved above"))
    }

    fn family_id(&mut self) -> Result<u16, Error> {
        Ok(self.family()?.id)
    }

    /// A request of the lisp family; `on` sees the printer and the attributes of every reply.
    fn genl_call(&mut self, req: &mut [u8], on: OnReply<'_, 'a>) -> Result<(), Error> {
        self.family()?;
        let t = self.genl.as_mut().expect("opened by family()");
        let out = &mut self.out;
        let mut interrupted = false;
        let r = t.request(req, &mut |m| {
            interrupted |= m.flags & NlmF::DUMP_INTR.bits() != 0;
            on(out, &wire::parse_genl(m.payload)?.1)
        });
        warn_interrupted(interrupted);
        r
    }

    /// An rtnetlink request; `on` sees every device the replies describe.
    fn route_call(
        &mut self,
        req: &mut [u8],
        on: &mut dyn FnMut(LinkInfo) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.route.is_none() {
            self.route = Some((self.open)(Proto::Route)?);
        }
        let t = self.route.as_mut().expect("opened above");
        let mut interrupted = false;
        let r = t.request(req, &mut |m| {
            interrupted |= m.flags & NlmF::DUMP_INTR.bits() != 0;
            match m.ty == u16::from(Rtm::Newlink) {
                true => on(wire::parse_link_info(m.payload)?),
                false => Ok(()),
            }
        });
        warn_interrupted(interrupted);
        r
    }

    /// A request of the lisp family whose replies are printed as one array, each with `show`.
    fn list(&mut self, mut req: Vec<u8>, show: OnReply<'_, 'a>) -> Result<(), Error> {
        self.out.open_array();
        let r = self.genl_call(&mut req, show);
        self.out.close_array();
        r
    }

    /// A dump (or do) whose replies are entries.
    fn entries(&mut self, req: Vec<u8>, lookup: bool) -> Result<(), Error> {
        self.list(req, &mut |p, attrs| {
            p.item(&print::Entry::new(&wire::parse_entry(attrs)?, lookup));
            Ok(())
        })
    }

    /// The device `name` (RTM_GETLINK), which must be a lisp device.
    fn lisp_link(&mut self, name: &str) -> Result<LinkInfo, Error> {
        let mut link = None;
        self.route_call(&mut wire::link_get(name), &mut |l| {
            link = Some(l);
            Ok(())
        })?;
        match link {
            Some(l) if l.kind.as_deref() == Some(LISP_KIND) => Ok(l),
            Some(_) => Err(Error::Other(format!("\"{name}\" is not a lisp device"))),
            None => Err(Error::reply("no RTM_NEWLINK reply")),
        }
    }

    /// `link show`: the rtnetlink view of one lisp device (RTM_GETLINK) or of all (a dump
    /// filtered by kind), with the map-cache size from DEV_GET.
    fn link_show(&mut self, name: Option<&str>) -> Result<(), Error> {
        let mut links = match name {
            Some(n) => vec![self.lisp_link(n)?],
            None => {
                let mut links = Vec::new();
                self.route_call(&mut wire::link_dump_lisp(), &mut |l| {
                    // Kernels that do not filter dumps by kind send every device.
                    if l.kind.as_deref() == Some(LISP_KIND) {
                        links.push(l);
                    }
                    Ok(())
                })?;
                links
            }
        };
        // No lisp device: nothing to ask the family (which may not even be there).
        if !links.is_empty() {
            let fam = self.family_id()?;
            let mut devs = Vec::new();
            self.genl_call(&mut wire::dev_get(fam, name), &mut |_, attrs| {
                devs.push(wire::parse_dev(attrs)?);
                Ok(())
            })?;
            for l in &mut links {
                let index = u32::try_from(l.ifindex).ok();
                let Some(d) = devs
                    .iter()
                    .find(|d| d.ifindex.is_some() && d.ifindex == index)
                else {
                    continue;
                };
                l.map_count = d.map_count;
                // What a kernel without them in IFLA_INFO_DATA still tells DEV_GET.
                l.config.iid = l.config.iid.or(d.default_iid);
                l.config.port = l.config.port.or(d.port);
            }
        }
        self.out.open_array();
        for l in &links {
            self.out.item(&print::Link::new(l));
        }
        self.out.close_array();
        Ok(())
    }

    /// Runs one command given on the command line.
    pub fn run(&mut self, cmd: Command<'_>) -> Result<(), Error> {
        match cmd {
            Command::Help(topic) => {
                self.out.verbatim(&help_text(topic));
                Ok(())
            }
            Command::LinkAdd { name, mtu, config } => {
                self.route_call(&mut wire::link_new(name, mtu, &config), &mut |_| Ok(()))
            }
            Command::LinkSet { name, config } => {
                let index = self.lisp_link(name)?.ifindex;
                self.route_call(&mut wire::link_change(index, &config), &mut |_| Ok(()))
            }
            Command::LinkDel { name } => {
                let index = self.lisp_link(name)?.ifindex;
                self.route_call(&mut wire::link_del(index), &mut |_| Ok(()))
            }
            Command::LinkShow { name } => self.link_show(name),
            Command::Stats { dev } => {
                let fam = self.family_id()?;
                self.list(wire::dev_get(fam, dev), &mut |p, attrs| {
                    p.item(&print::Stats::new(&wire::parse_dev(attrs)?));
                    Ok(())
                })
            }
            Command::MapChange { op, dev, entry } => {
                let (mut batch, mut applied) = (MapBatch::new(None), 0);
                self.map_push(&mut batch, 1, op, dev, &entry, &mut applied)
                    .and_then(|_| self.map_flush(&mut batch, &mut applied))
                    .map_err(|(e, _)| e)
            }
            Command::MapGet { dev, key } => {
                let fam = self.family_id()?;
                self.entries(wire::map_get(fam, dev, &key), false)
            }
            Command::MapLookup {
                dev,
                addr,
                iid,
                hash,
            } => {
                let fam = self.family_id()?;
                self.entries(wire::map_lookup(fam, dev, &addr, iid, hash), true)
            }
            Command::MapShow { dev, iid } => {
                let fam = self.family_id()?;
                self.entries(wire::map_dump(fam, dev, iid), false)
            }
            Command::MapFlush { dev, iid } => {
                let fam = self.family_id()?;
                self.genl_call(&mut wire::map_flush(fam, dev, iid), &mut |_, _| Ok(()))
            }
            Command::Monitor => self.monitor(),
        }
    }

    /// Adds a map change (of batch line `line`) to the request being filled, sending that first
    /// when the change is of another group or does not fit. `applied` counts the commands the
    /// kernel applied.
    fn map_push(
        &mut self,
        batch: &mut MapBatch,
        line: usize,
        op: Op,
        dev: &str,
        entry: &MapEntry,
        applied: &mut usize,
    ) -> Result<(), (Error, Blame)> {
        if !batch.same_group(op, dev) {
            self.map_flush(batch, applied)?;
            let (cmd, replace) = op.cmd();
            batch
                .packer
                .start(0, cmd, wire::map_flags(cmd, replace), dev);
            batch.group = Some(op);
            batch.dev.clear();
            batch.dev.push_str(dev);
        } else if batch.packer.push_if_fits(line, entry) {
            return Ok(());
        } else {
            self.send_packed(batch, applied)?;
        }
        batch.packer.push(line, entry);
        Ok(())
    }

    /// Sends what the batch holds and ends its group.
    fn map_flush(
        &mut self,
        batch: &mut MapBatch,
        applied: &mut usize,
    ) -> Result<(), (Error, Blame)> {
        batch.group = None;
        self.send_packed(batch, applied)
    }

    /// Sends the request the batch holds, if any (or adds it to the plan), and empties it.
    fn send_packed(
        &mut self,
        batch: &mut MapBatch,
        applied: &mut usize,
    ) -> Result<(), (Error, Blame)> {
        if batch.packer.is_empty() {
            return Ok(());
        }
        if let Some(plan) = &mut batch.plan {
            plan.add_request(&mut batch.packer);
            return Ok(());
        }
        let (req, spans) = batch.packer.request_and_spans();
        let r = self.send_request(req, spans, applied);
        batch.packer.clear();
        r
    }

    /// Sends a request of map changes whose nests sit at `spans`.
    fn send_request(
        &mut self,
        req: &mut [u8],
        spans: &[Span],
        applied: &mut usize,
    ) -> Result<(), (Error, Blame)> {
        // The family is looked up once, before the first request: failing, it is blamed on the
        // request's first line (the first line of its group).
        let first = Blame::Line {
            line: spans[0].line,
            index: 0,
        };
        let fam = self.family_id().map_err(|e| (e, first))?;
        req[4..6].copy_from_slice(&fam.to_ne_bytes());
        match self.genl_call(req, &mut |_, _| Ok(())) {
            Ok(()) => {
                *applied += spans.len();
                self.progress.update(*applied);
                Ok(())
            }
            Err(Error::Kernel(k)) => {
                let b = wire::blame(spans, k.offset);
                if let Blame::Line { index, .. } = b {
                    *applied += index;
                }
                Err((Error::Kernel(k), b))
            }
            Err(e) => Err((e, wire::blame(spans, None))),
        }
    }

    /// One command of a batch, on line `line` (whose text is `text`): a map change joins the
    /// request being filled; any other command ends it and runs, or while the batch is checked,
    /// joins the plan.
    fn batch_step(
        &mut self,
        batch: &mut MapBatch,
        line: usize,
        text: &str,
        cmd: &Command<'_>,
        applied: &mut usize,
    ) -> Result<(), (Error, Blame)> {
        if let Command::MapChange { op, dev, entry } = cmd {
            return self.map_push(batch, line, *op, dev, entry, applied);
        }
        self.map_flush(batch, applied)?;
        let Some(plan) = &mut batch.plan else {
            return self.batch_command(line, cmd, applied);
        };
        // Its text is kept, to be parsed again when it runs.
        plan.steps.push(Step::Command {
            line,
            text: text.to_string(),
        });
        Ok(())
    }

    /// Runs a command of a batch other than a map change.
    fn batch_command(
        &mut self,
        line: usize,
        cmd: &Command<'_>,
        applied: &mut usize,
    ) -> Result<(), (Error, Blame)> {
        self.run(cmd.clone())
            .map_err(|e| (e, Blame::Line { line, index: 0 }))?;
        *applied += 1;
        self.progress.update(*applied);
        Ok(())
    }

    /// Runs a batch: every line is parsed first (nothing is sent if one is bad), then the
    /// commands run in order until the first failure.
    pub fn run_batch(&mut self, text: &str) -> Result<(), BatchError> {
        // Checking the lines also builds the requests of the first PLAN_MAX bytes; the lines
        // after those are parsed again, from `resume` on, when sent.
        let plan = Plan {
            max: self.plan_max,
            size: 0,
            steps: Vec::new(),
        };
        let mut batch = MapBatch::new(Some(plan));
        let (mut resume, mut total) = (None, 0);
        let (mut rest, mut n) = (text, 0);
        while !rest.is_empty() {
            n += 1;
            let mut words = LineWords::new(rest);
            let Some(object) = words.next() else {
                rest = words.finish().1;
                continue;
            };
            let cmd = parse_object(object, &mut words);
            let line;
            (line, rest) = words.finish();
            let cmd = match &cmd {
                Ok(cmd) => cmd,
                Err(e) => {
                    return Err(BatchError {
                        location: format!("line {n}"),
                        cause: Error::Usage(e.clone()),
                        note: String::new(),
                    })
                }
            };
            total += 1;
            if resume.is_none() {
                let planned = self.batch_step(&mut batch, n, line, cmd, &mut 0);
                debug_assert!(planned.is_ok(), "nothing is sent while planning");
                if batch.plan.as_ref().is_some_and(Plan::full) {
                    resume = Some((rest, n));
                }
            }
        }
        let plan = batch.plan.take().expect("planning");
        self.progress = Progress::new(std::io::stderr().is_terminal(), total);
        let mut applied = 0;
        let r = self
            .run_plan(plan, &mut batch, resume.unwrap_or_default(), &mut applied)
            .map_err(|(e, blame)| batch_error(e, blame, applied));
        self.progress.finish();
        r
    }

    /// Sends what checking the batch planned, then the lines of `rest`, the text after line
    /// `n`, parsed again.
    fn run_plan(
        &mut self,
        plan: Plan,
        batch: &mut MapBatch,
        (mut rest, mut n): (&str, usize),
        applied: &mut usize,
    ) -> Result<(), (Error, Blame)> {
        let mut spans = Vec::new();
        for step in plan.steps {
            match step {
                Step::Request { mut req, lines } => {
                    wire::spans_of(&req, &lines, &mut spans);
                    self.send_request(&mut req, &spans, applied)?;
                }
                Step::Command { line, text } => {
                    let cmd = parse_command(LineWords::new(&text)).expect("checked before");
                    self.batch_command(line, &cmd, applied)?;
                }
            }
        }
        // The request left open when planning stopped continues to fill.
        while !rest.is_empty() {
            n += 1;
            let mut words = LineWords::new(rest);
            let cmd = words.next().map(|object| parse_object(object, &mut words));
            let line;
            (line, rest) = words.finish();
            if let Some(cmd) = &cmd {
                let cmd = cmd.as_ref().expect("checked before");
                self.batch_step(batch, n, line, cmd, applied)?;
            }
        }
        self.map_flush(batch, applied)
    }

    /// Prints the events of the "events" group until killed.
    fn monitor(&mut self) -> Result<(), Error> {
        let fam = self.family()?.clone();
        let group = nl::events_group(&fam)?;
        let t = self.genl.as_mut().expect("opened by family()");
        t.join(group)?;
        let out = &mut self.out;
        out.compact();
        t.listen(&mut |m| {
            if m.ty == nl::NLMSG_OVERRUN {
                eprintln!("lispctl: events lost (receive buffer overrun)");
                return Ok(());
            }
            if m.ty != fam.id {
                return Ok(());
            }
            match wire::parse_event(m.payload) {
                Ok(Some(ev)) => print_event_line(out, &ev)?,
                Ok(None) => {}
                Err(e) => eprintln!("lispctl: ignoring an event: {e}"),
            }
            Ok(())
        })
    }
}

fn print_event_line(out: &mut Printer, ev: &Event) -> Result<(), Error> {
    out.item(&print::EventView::new(ev));
    out.flush().map_err(|e| {
        if is_broken_pipe(&e) {
            Error::Closed
        } else {
            Error::Other(format!("output: {}", crate::error::errno_text_of(&e)))
        }
    })
}

fn warn_interrupted(interrupted: bool) {
    if interrupted {
        eprintln!("lispctl: warning: the dump was interrupted and may be inconsistent");
    }
}

/// Whether stdout/stderr problems mean the reader went away (`| head`): not an error.
pub fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Mode from the options.
pub fn mode(json: bool, pretty: bool) -> Mode {
    if json {
        Mode::Json { pretty }
    } else {
        Mode::Text
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::wire::Msg;
    use lisp_client::testutil::{
        a, entry_reply, error_reply, genl, libc_ifla, lisp_link_payload, msg, n,
    };
    use std::cell::RefCell;
    use std::rc::Rc;

    const FAM: u16 = 0x1f;

    /// A fake kernel: answers with `answer(request, seq)` datagrams, which go through the real
    /// reply processing, and records the requests (for benchmarks: only counts them and their
    /// bytes).
    type Answer = Box<dyn FnMut(&[u8], u32) -> Vec<Vec<u8>>>;

    pub struct Fake {
        pub sent: Vec<Vec<u8>>,
        pub count: (usize, usize),
        record: bool,
        answer: Answer,
        seq: u32,
    }

    struct FakeT(Rc<RefCell<Fake>>);

    impl Transport for FakeT {
        fn request(
            &mut self,
            req: &mut [u8],
            on_reply: &mut dyn FnMut(&Msg) -> Result<(), Error>,
        ) -> Result<(), Error> {
            let mut f = self.0.borrow_mut();
            f.seq += 1;
            let seq = f.seq;
            req[8..12].copy_from_slice(&seq.to_ne_bytes());
            if f.record {
                f.sent.push(req.to_vec());
            } else if !is_nlctrl(req) {
                f.count = (f.count.0 + 1, f.count.1 + req.len());
            }
            let replies = (f.answer)(req, seq);
            drop(f);
            for d in replies {
                if wire::process(&d, seq, on_reply)? == wire::Flow::Done {
                    return Ok(());
                }
            }
            panic!("fake kernel left the request unanswered");
        }

        fn join(&mut self, _: u32) -> Result<(), Error> {
            Ok(())
        }

        fn listen(&mut self, _: &mut dyn FnMut(&Msg) -> Result<(), Error>) -> Result<(), Error> {
            Ok(())
        }
    }

    /// An opener of transports to one fake kernel answering every request (nlctrl's too) with
    /// `answer`.
    fn fake_kernel(
        record: bool,
        answer: impl FnMut(&[u8], u32) -> Vec<Vec<u8>> + 'static,
    ) -> (Opener<'static>, Rc<RefCell<Fake>>) {
        let fake = Rc::new(RefCell::new(Fake {
            sent: Vec::new(),
            count: (0, 0),
            record,
            answer: Box::new(answer),
            seq: 0,
        }));
        let f = fake.clone();
        let open: Opener = Box::new(move |_| Ok(Box::new(FakeT(f.clone())) as Box<dyn Transport>));
        (open, fake)
    }

    /// `fake_kernel` with the lisp family, whose requests `lisp` answers.
    fn fake_lisp(
        record: bool,
        mut lisp: impl FnMut(&[u8], u32) -> Vec<Vec<u8>> + 'static,
    ) -> (Opener<'static>, Rc<RefCell<Fake>>) {
        fake_kernel(record, move |req, seq| {
            if is_nlctrl(req) {
                vec![[family_reply(seq), ack(seq, req)].concat()]
            } else {
                lisp(req, seq)
            }
        })
    }

    /// A fake kernel for benchmarks: acks every request, counting them.
    pub fn acking_opener() -> (Opener<'static>, Rc<RefCell<Fake>>) {
        fake_lisp(false, |req, seq| vec![ack(seq, req)])
    }

    /// Whether a request is nlctrl's CTRL_CMD_GETFAMILY (type 0x10 is also RTM_NEWLINK, whose
    /// byte 16 is ifi_family, AF_UNSPEC).
    fn is_nlctrl(req: &[u8]) -> bool {
        u16::from_ne_bytes([req[4], req[5]]) == 0x10 && req[16] == 3
    }

    fn ack(seq: u32, req: &[u8]) -> Vec<u8> {
        let mut p = 0i32.to_ne_bytes().to_vec();
        p.extend_from_slice(&req[..16]);
        msg(2, 0x100, seq, &p)
    }

    fn family_reply(seq: u32) -> Vec<u8> {
        msg(
            0x10,
            0,
            seq,
            &genl(
                1,
                &[
                    a(2, b"lisp\0"),
                    a(1, &FAM.to_ne_bytes()),
                    n(7, &[n(1, &[a(2, &9u32.to_ne_bytes()), a(1, b"events\0")])]),
                ],
            ),
        )
    }

    /// Runs `f` against a fake kernel whose lisp family answers with `lisp(request, seq)`.
    fn with_fake(
        json: bool,
        lisp: impl FnMut(&[u8], u32) -> Vec<Vec<u8>> + 'static,
        f: impl FnOnce(&mut Ctx) -> Result<(), BatchError>,
    ) -> (Result<(), BatchError>, String, Vec<Vec<u8>>) {
        let (open, fake) = fake_lisp(true, lisp);
        let mut out = Vec::new();
        let mut ctx = Ctx::new(Printer::new(&mut out, mode(json, false)), open);
        let r = f(&mut ctx);
        ctx.flush().unwrap();
        drop(ctx);
        let sent = std::mem::take(&mut fake.borrow_mut().sent);
        (r, String::from_utf8(out).unwrap(), sent)
    }

    fn nests_in(req: &[u8]) -> usize {
        let (_, attrs) = wire::parse_genl(&req[16..]).unwrap();
        attrs.len() - 1
    }

    #[test]
    fn show_dump() {
        let (r, out, sent) = with_fake(
            true,
            |req, seq| {
                let flags = u16::from_ne_bytes([req[6], req[7]]);
                assert_ne!(flags & NlmF::DUMP.bits(), 0);
                let multi = NlmF::MULTI.bits();
                vec![
                    [entry_reply(seq, multi, None), entry_reply(seq, multi, None)].concat(),
                    msg(3, multi, seq, &0i32.to_ne_bytes()),
                ]
            },
            |ctx| {
                ctx.run(parse_command(["map", "show", "dev", "lisp0"].into_iter()).unwrap())
                    .map_err(|e| batch_error(e, Blame::Line { line: 1, index: 0 }, 0))
            },
        );
        assert!(r.is_ok());
        assert_eq!(sent.len(), 2);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[0]["eid"], "10.1.0.0/24");
        assert_eq!(v[1]["rlocs"][1]["addr"], "2001:db8::2");
    }

    /// A batch of `lines` map adds (one per line, with a comment and a blank line first).
    fn batch_text(count: usize) -> String {
        let mut s = String::from("# load\n\n");
        for i in 0..count {
            s.push_str(&format!(
                "map add 10.{}.{}.0/24 rloc 192.0.2.1 rloc 192.0.2.2 ttl 60 dev lisp0\n",
                i / 256,
                i % 256
            ));
        }
        s
    }

    /// A kernel that applies map changes until the `fail_at`th nest (counting from 1), which
    /// fails with EEXIST, `text` and an offset `into` bytes inside that nest.
    fn failing_at(
        fail_at: usize,
        text: Option<&'static str>,
        into: usize,
    ) -> impl FnMut(&[u8], u32) -> Vec<Vec<u8>> {
        let mut seen = 0;
        move |req, seq| {
            let (_, attrs) = wire::parse_genl(&req[16..]).unwrap();
            let count = attrs.len() - 1;
            if seen + count < fail_at {
                seen += count;
                return vec![ack(seq, req)];
            }
            // The offset: header, IFNAME, the nests before the failing one.
            let before = &attrs[1..fail_at - seen];
            let off: usize = before
                .iter()
                .map(|at| (4 + at.data.len()).next_multiple_of(4))
                .sum();
            seen = fail_at - 1;
            let off = (16 + 4 + 12 + off + into) as u32;
            vec![error_reply(seq, libc::EEXIST, req, text, Some(off))]
        }
    }

    #[test]
    fn batch_packs_and_reports_line() {
        let text = batch_text(2000);
        // The kernel fails the 1500th entry (line 1502) with an offset inside its nest.
        let fail_at = 1500;
        let answer = failing_at(fail_at, Some("entry exists"), 8);
        let (r, _, sent) = with_fake(false, answer, |ctx| ctx.run_batch(&text));
        let e = r.unwrap_err();
        assert_eq!(e.location, "line 1502");
        assert_eq!(e.cause.to_string(), "entry exists");
        assert_eq!(
            e.note,
            "1499 commands before line 1502 applied, none after it"
        );
        // Requests: nlctrl, then packed MAP_ADDs within the cap.
        let adds = &sent[1..];
        assert!(adds.len() > 1 && adds.len() < 50, "{}", adds.len());
        for r in adds {
            assert!(r.len() <= BATCH_MSG_MAX);
            let flags = u16::from_ne_bytes([r[6], r[7]]);
            assert_eq!(
                flags,
                (NlmF::REQUEST | NlmF::ACK | NlmF::CREATE | NlmF::EXCL).bits()
            );
        }
        // Nothing after the failing request was sent.
        let sent_nests: usize = adds.iter().map(|r| nests_in(r)).sum();
        assert!(sent_nests < 2000);
        assert!(sent_nests >= 1500);
    }

    /// Plan sizes that put the end of the plan before, inside and after the batch.
    const PLAN_SIZES: [usize; 6] = [0, 1, 20_000, 40_000, 100_000, PLAN_MAX];

    #[test]
    fn batch_reports_line_wherever_the_plan_ends() {
        for plan_max in PLAN_SIZES {
            for fail_at in [1, 2, 600, 1500, 2000] {
                let text = batch_text(2000);
                let answer = failing_at(fail_at, None, 4);
                let (r, _, sent) = with_fake(false, answer, |ctx| {
                    ctx.plan_max = plan_max;
                    ctx.run_batch(&text)
                });
                let e = r.unwrap_err();
                // Two lines of comment and blank before the first entry.
                assert_eq!(e.location, format!("line {}", fail_at + 2), "{plan_max}");
                assert_eq!(e.cause.to_string(), "File exists");
                let before = fail_at - 1;
                let commands = if before == 1 { "command" } else { "commands" };
                assert_eq!(
                    e.note,
                    format!(
                        "{before} {commands} before line {} applied, none after it",
                        fail_at + 2
                    )
                );
                // Nothing after the failing request was sent.
                let last = sent.last().unwrap();
                let (_, attrs) = wire::parse_genl(&last[16..]).unwrap();
                let sent_nests: usize = sent[1..].iter().map(|r| nests_in(r)).sum();
                assert!(sent_nests - (attrs.len() - 1) < fail_at);
            }
        }
    }

    /// A batch of every kind of line: map changes of several groups, other commands, comments,
    /// blank lines, CRLF, and lines only parse_command takes (other whitespace).
    fn mixed_batch() -> String {
        let mut s = String::from("# mixed\r\n\n");
        for i in 0..3000u32 {
            let (a, b) = (i / 256, i % 256);
            let line = match i % 400 {
                0..=179 => format!("map add 10.{a}.{b}.0/24 rloc 192.0.2.1 ttl 60 dev lisp0"),
                180..=259 => format!(
                    "map replace 2001:db8:{a:x}:{b:x}::/64 iid 7 rloc 2001:db8::1 priority 2 \
                     rloc 192.0.2.9 weight 50 down dev lisp0"
                ),
                260..=299 => format!("map del 10.{a}.{b}.0/24 dev lisp0 # gone"),
                300..=309 => format!("map add\u{a0}10.{a}.{b}.0/24 action drop dev lisp0"),
                310 => "map flush iid 7 dev lisp0".to_string(),
                311..=349 => format!("\tmap add 10.{a}.{b}.0/24 rloc 192.0.2.1 dev lisp1\r"),
                350 => "   ".to_string(),
                _ => format!("map del 10.{a}.{b}.0/24 iid 3 dev lisp1"),
            };
            s.push_str(&line);
            s.push('\n');
        }
        s
    }

    #[test]
    fn batch_requests_wherever_the_plan_ends() {
        let text = mixed_batch();
        let mut first: Option<Vec<Vec<u8>>> = None;
        for plan_max in PLAN_SIZES {
            let (r, _, sent) = with_fake(
                false,
                |req, seq| vec![ack(seq, req)],
                |ctx| {
                    ctx.plan_max = plan_max;
                    ctx.run_batch(&text)
                },
            );
            assert!(r.is_ok(), "{plan_max}");
            match &first {
                None => first = Some(sent),
                Some(f) => assert!(*f == sent, "{plan_max}"),
            }
        }
        let sent = first.unwrap();
        let flushes = sent.iter().filter(|r| r[16] == LISP_CMD_MAP_FLUSH).count();
        assert_eq!(flushes, 7);
        assert!(sent.len() > 30, "{}", sent.len());
    }

    #[test]
    fn batch_command_fails_after_the_plan() {
        // A failing command past the end of the plan: the lines before it were all applied.
        let text = mixed_batch();
        for plan_max in PLAN_SIZES {
            let (r, _, _) = with_fake(
                false,
                |req, seq| {
                    if req[16] == LISP_CMD_MAP_FLUSH
                        && u32::from_ne_bytes([req[8], req[9], req[10], req[11]]) > 20
                    {
                        vec![error_reply(
                            seq,
                            19,
                            req,
                            Some("no such lisp device"),
                            Some(20),
                        )]
                    } else {
                        vec![ack(seq, req)]
                    }
                },
                |ctx| {
                    ctx.plan_max = plan_max;
                    ctx.run_batch(&text)
                },
            );
            let e = r.unwrap_err();
            assert_eq!(e.cause.to_string(), "no such lisp device");
            let line: usize = e.location.strip_prefix("line ").unwrap().parse().unwrap();
            assert_eq!(
                text.lines().nth(line - 1),
                Some("map flush iid 7 dev lisp0")
            );
            let before = text
                .lines()
                .take(line - 1)
                .filter(|l| LineWords::new(l).next().is_some())
                .count();
            assert_eq!(
                e.note,
                format!("{before} commands before line {line} applied, none after it")
            );
        }
    }

    #[test]
    fn batch_without_offset_reports_range() {
        let text = batch_text(3);
        let (r, _, sent) = with_fake(
            false,
            |req, seq| vec![error_reply(seq, 12, req, None, None)],
            |ctx| ctx.run_batch(&text),
        );
        let e = r.unwrap_err();
        assert_eq!(sent.len(), 2);
        assert_eq!(e.location, "lines 3-5");
        assert_eq!(e.cause.to_string(), "Cannot allocate memory");
        assert_eq!(
            e.note,
            "0 commands before line 3 applied; lines 3-5 may be partly applied, none after them"
        );
    }

    #[test]
    fn batch_groups_by_command_and_device() {
        let text = "map add 10.0.0.0/8 rloc 1.1.1.1 dev a\n\
                    map add 10.1.0.0/16 rloc 1.1.1.1 dev a\n\
                    map del 10.0.0.0/8 dev a\n\
                    map del 10.1.0.0/16 dev a\n\
                    map del 10.2.0.0/16 dev b\n\
                    map replace 10.1.0.0/16 action drop dev b\n\
                    map flush dev a\n\
                    map add 10.0.0.0/8 rloc 1.1.1.1 dev a\n";
        let (r, _, sent) = with_fake(
            false,
            |req, seq| vec![ack(seq, req)],
            |ctx| ctx.run_batch(text),
        );
        assert!(r.is_ok());
        let shape: Vec<(u8, usize)> = sent[1..]
            .iter()
            .map(|r| {
                (
                    r[16],
                    if r[16] == LISP_CMD_MAP_FLUSH {
                        0
                    } else {
                        nests_in(r)
                    },
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (LISP_CMD_MAP_ADD, 2),
                (LISP_CMD_MAP_DEL, 2),
                (LISP_CMD_MAP_DEL, 1),
                (LISP_CMD_MAP_ADD, 1),
                (LISP_CMD_MAP_FLUSH, 0),
                (LISP_CMD_MAP_ADD, 1),
            ]
        );
        let replace = &sent[4];
        let flags = u16::from_ne_bytes([replace[6], replace[7]]);
        assert_eq!(
            flags,
            (NlmF::REQUEST | NlmF::ACK | NlmF::CREATE | NlmF::REPLACE).bits()
        );
    }

    #[test]
    fn batch_parse_error_sends_nothing() {
        let text =
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev a\n\nmap add 10.0.0.0/33 rloc 1.1.1.1 dev a\n";
        let (r, _, sent) = with_fake(false, |_, _| unreachable!(), |ctx| ctx.run_batch(text));
        let e = r.unwrap_err();
        assert_eq!(e.location, "line 3");
        assert_eq!(e.cause.to_string(), "invalid EID prefix \"10.0.0.0/33\"");
        assert_eq!(exit_code(&e.cause), 1);
        assert!(e.note.is_empty());
        assert!(sent.is_empty());
    }

    #[test]
    fn batch_other_command_fails() {
        let text = "map add 10.0.0.0/8 rloc 1.1.1.1 dev a\nmap flush dev nosuch\nmap show dev a\n";
        let (r, _, _) = with_fake(
            false,
            |req, seq| {
                if req[16] == LISP_CMD_MAP_FLUSH {
                    vec![error_reply(
                        seq,
                        19,
                        req,
                        Some("no such lisp device"),
                        Some(20),
                    )]
                } else {
                    vec![ack(seq, req)]
                }
            },
            |ctx| ctx.run_batch(text),
        );
        let e = r.unwrap_err();
        assert_eq!(e.location, "line 2");
        assert_eq!(e.cause.to_string(), "no such lisp device");
        assert_eq!(exit_code(&e.cause), 2);
        assert_eq!(e.note, "1 command before line 2 applied, none after it");
    }

    #[test]
    fn lookup_and_stats() {
        let (r, out, sent) = with_fake(
            false,
            |req, seq| match req[16] {
                LISP_CMD_MAP_GET => vec![[entry_reply(seq, 0, Some(0)), ack(seq, req)].concat()],
                _ => vec![[
                    msg(
                        FAM,
                        0,
                        seq,
                        &genl(
                            LISP_CMD_DEV_GET,
                            &[
                                a(LISP_A_IFINDEX, &5u32.to_ne_bytes()),
                                a(LISP_A_IFNAME, b"lisp0\0"),
                                n(
                                    LISP_A_STATS,
                                    &[a(LISP_STAT_A_TX_PACKETS, &3u64.to_ne_bytes())],
                                ),
                            ],
                        ),
                    ),
                    ack(seq, req),
                ]
                .concat()],
            },
            |ctx| ctx.run_batch("map get 10.1.0.7 hash 3 dev lisp0\nstats dev lisp0\n"),
        );
        assert!(r.is_ok());
        assert_eq!(
            out,
            "10.1.0.0/24 iid 0 dev lisp0 proto lispd ttl 300 expires 297 used\n\
             \trloc 192.0.2.1 priority 1 weight 100 up\n\
             \trloc 2001:db8::2 priority 255 weight 0 down\n\
             \tselected rloc 192.0.2.1\n\
             lisp0 ifindex 5\n\ttx_packets 3\n"
        );
        let (_, attrs) = wire::parse_genl(&sent[1][16..]).unwrap();
        assert_eq!(attrs.len(), 3);
    }

    /// `cargo test --release -p lispctl bench_million -- --ignored --nocapture`: the client-side
    /// cost of loading a million entries (checking, packing) against a kernel that only acks.
    #[test]
    #[ignore]
    fn bench_million_line_batch() {
        let text: String = (0..1_000_000u32)
            .map(|i| {
                format!(
                    "map add {}.{}.{}.0/24 rloc 192.0.2.1 rloc 2001:db8::1 ttl 60 dev lisp0\n",
                    (i >> 16) + 1,
                    (i >> 8) & 255,
                    i & 255
                )
            })
            .collect();
        let t = std::time::Instant::now();
        let (r, _, sent) = with_fake(
            false,
            |req, seq| vec![ack(seq, req)],
            |ctx| ctx.run_batch(&text),
        );
        assert!(r.is_ok());
        eprintln!("1M lines: {:?}, {} requests", t.elapsed(), sent.len() - 1);
    }

    #[test]
    fn batch_missing_family() {
        for (text, location) in [
            (
                "# x\n\nmap add 10.0.0.0/8 rloc 1.1.1.1 dev a\nmap del 10.0.0.0/8 dev a\n",
                3,
            ),
            ("map del 10.0.0.0/8 dev a\nmap flush dev a\n", 1),
            ("map flush dev a\nmap del 10.0.0.0/8 dev a\n", 1),
        ] {
            let (open, _) = fake_kernel(true, |req, seq| {
                vec![error_reply(seq, libc::ENOENT, req, None, None)]
            });
            let mut out = Vec::new();
            let mut ctx = Ctx::new(Printer::new(&mut out, Mode::Text), open);
            let e = ctx.run_batch(text).unwrap_err();
            assert_eq!(e.location, format!("line {location}"));
            assert_eq!(
                e.cause.to_string(),
                "generic netlink family \"lisp\" not found (is the lisp module loaded?)"
            );
            assert_eq!(
                e.note,
                format!("0 commands before line {location} applied, none after it")
            );
        }
    }

    /// Runs one command line against a fake kernel answering rtnetlink and the lisp family
    /// with `answer(request, seq)`: the result, the output, the requests (nlctrl's included).
    fn run_line(
        json: bool,
        answer: impl FnMut(&[u8], u32) -> Vec<Vec<u8>> + 'static,
        line: &str,
    ) -> (Result<(), Error>, String, Vec<Vec<u8>>) {
        let cmd = parse_command(line.split_whitespace()).unwrap();
        let mut err = None;
        let (_, out, sent) = with_fake(json, answer, |ctx| {
            err = ctx.run(cmd).err();
            Ok(())
        });
        (err.map_or(Ok(()), Err), out, sent)
    }

    fn msg_type(req: &[u8]) -> u16 {
        u16::from_ne_bytes([req[4], req[5]])
    }

    fn msg_flags(req: &[u8]) -> u16 {
        u16::from_ne_bytes([req[6], req[7]])
    }

    /// A DEV_GET reply for device 5, lisp0, with 3 entries.
    fn dev_reply(seq: u32, flags: u16) -> Vec<u8> {
        msg(
            FAM,
            flags,
            seq,
            &genl(
                LISP_CMD_DEV_GET,
                &[
                    a(LISP_A_IFINDEX, &5u32.to_ne_bytes()),
                    a(LISP_A_IFNAME, b"lisp0\0"),
                    a(LISP_A_DEFAULT_IID, &0u32.to_ne_bytes()),
                    a(LISP_A_PORT, &4341u16.to_ne_bytes()),
                    a(LISP_A_MAP_COUNT, &3u32.to_ne_bytes()),
                ],
            ),
        )
    }

    /// RTM_NEWLINK of a device that is not a lisp device.
    fn eth_payload(index: i32) -> Vec<u8> {
        let mut p = vec![0u8; 16];
        p[4..8].copy_from_slice(&index.to_ne_bytes());
        p.extend(a(libc_ifla::IFNAME, b"eth0\0"));
        p.extend(a(libc_ifla::LINKINFO, &a(1, b"veth\0")));
        p
    }

    /// A fake kernel with lisp0 (index 5) and eth0 (index 2): RTM_GETLINK by name and dump
    /// (unfiltered, as an old kernel), DEV_GET, and acks for the rest.
    fn two_links(req: &[u8], seq: u32) -> Vec<Vec<u8>> {
        let multi = NlmF::MULTI.bits();
        let dump = msg_flags(req) & NlmF::DUMP.bits() != 0;
        match msg_type(req) {
            18 if dump => vec![
                [
                    msg(16, multi, seq, &eth_payload(2)),
                    msg(
                        16,
                        multi,
                        seq,
                        &lisp_link_payload(5, "lisp0", Some(&[10, 0, 0, 1])),
                    ),
                ]
                .concat(),
                msg(3, multi, seq, &0i32.to_ne_bytes()),
            ],
            18 => {
                let named = |n: &[u8]| req.windows(n.len()).any(|w| w == n);
                let p = if named(b"lisp0\0") {
                    lisp_link_payload(5, "lisp0", Some(&[10, 0, 0, 1]))
                } else if named(b"eth0\0") {
                    eth_payload(2)
                } else {
                    return vec![error_reply(seq, libc::ENODEV, req, None, None)];
                };
                vec![[msg(16, 0, seq, &p), ack(seq, req)].concat()]
            }
            FAM if dump => vec![
                dev_reply(seq, multi),
                msg(3, multi, seq, &0i32.to_ne_bytes()),
            ],
            FAM => vec![[dev_reply(seq, 0), ack(seq, req)].concat()],
            _ => vec![ack(seq, req)],
        }
    }

    #[test]
    fn link_show_merges_rtnetlink_and_dev_get() {
        let (r, out, sent) = run_line(true, two_links, "link show");
        r.unwrap();
        assert_eq!(
            out,
            "[{\"ifname\":\"lisp0\",\"ifindex\":5,\"iid\":0,\"port\":4341,\
             \"local\":\"10.0.0.1\",\"ttl\":\"inherit\",\"tos\":\"inherit\",\"udp_csum\":true,\
             \"nonce\":false,\"external\":false,\"src_check\":false,\"map_count\":3,\"map_max\":0,\"mtu\":1444,\
             \"operstate\":\"UP\"}]\n"
        );
        // The rtnetlink dump filtered by kind, then nlctrl and the DEV_GET dump.
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[0][16..], wire::link_dump_lisp()[16..]);
        assert_eq!(msg_type(&sent[2]), FAM);
        assert_ne!(msg_flags(&sent[2]) & NlmF::DUMP.bits(), 0);
        let (r, out, sent) = run_line(false, two_links, "link show dev lisp0");
        r.unwrap();
        assert_eq!(
            out,
            "lisp0 ifindex 5 iid 0 port 4341 local 10.0.0.1 ttl inherit tos inherit udpcsum \
             nonce off external off srccheck off maps 3 mapmax 0 mtu 1444 state UP\n"
        );
        assert_eq!(sent[0][16..], wire::link_get("lisp0")[16..]);
        assert_eq!(msg_flags(&sent[2]) & NlmF::DUMP.bits(), 0);
        // Not a lisp device, no device: errors of the kernel's side (exit 2).
        let (r, _, _) = run_line(false, two_links, "link show eth0");
        let e = r.unwrap_err();
        assert_eq!(e.to_string(), "\"eth0\" is not a lisp device");
        assert_eq!(exit_code(&e), 2);
        let (r, _, _) = run_line(false, two_links, "link show nosuch");
        let e = r.unwrap_err();
        assert_eq!(
            (e.to_string().as_str(), exit_code(&e)),
            ("No such device", 2)
        );
    }

    #[test]
    fn link_show_without_lisp_devices() {
        // No lisp device: an empty list, and the lisp family is not even looked up.
        let (r, out, sent) = run_line(
            true,
            |req, seq| {
                assert_eq!(msg_type(req), 18);
                let multi = NlmF::MULTI.bits();
                vec![[
                    msg(16, multi, seq, &eth_payload(2)),
                    msg(3, multi, seq, &0i32.to_ne_bytes()),
                ]
                .concat()]
            },
            "link show",
        );
        r.unwrap();
        assert_eq!(out, "[]\n");
        assert_eq!(sent.len(), 1);
    }

    #[test]
    fn link_add_and_set() {
        let (r, _, sent) = run_line(
            false,
            two_links,
            "link add lisp1 port 4342 local 2001:db8::1 iid 7 ttl 64 nonce",
        );
        r.unwrap();
        assert_eq!(sent.len(), 1);
        let c = crate::model::LinkConfig {
            port: Some(4342),
            local: Some("2001:db8::1".parse().unwrap()),
            iid: Some(7),
            ttl: Some(64),
            nonce: Some(true),
            ..Default::default()
        };
        assert_eq!(sent[0][16..], wire::link_new("lisp1", None, &c)[16..]);
        // set: the device's index from RTM_GETLINK, then the change by index.
        let (r, _, sent) = run_line(false, two_links, "link set lisp0 ttl 9 noudpcsum");
        r.unwrap();
        assert_eq!(sent.len(), 2);
        let c = crate::model::LinkConfig {
            ttl: Some(9),
            udp_csum: Some(false),
            ..Default::default()
        };
        assert_eq!(sent[1][16..], wire::link_change(5, &c)[16..]);
        assert_eq!(msg_flags(&sent[1]), (NlmF::REQUEST | NlmF::ACK).bits());
        // Only lisp devices are changed.
        let (r, _, sent) = run_line(false, two_links, "link set eth0 iid 1");
        assert_eq!(r.unwrap_err().to_string(), "\"eth0\" is not a lisp device");
        assert_eq!(sent.len(), 1);
        // Kernel refusals: the extack text, exit 2.
        let refuse = |req: &[u8], seq: u32| {
            if msg_type(req) == 16 {
                vec![error_reply(
                    seq,
                    libc::EOPNOTSUPP,
                    req,
                    Some("port, local address and external mode are fixed: delete and re-create the device"),
                    Some(48),
                )]
            } else {
                two_links(req, seq)
            }
        };
        let (r, _, _) = run_line(false, refuse, "link set lisp0 iid 1");
        let e = r.unwrap_err();
        assert_eq!(
            e.to_string(),
            "port, local address and external mode are fixed: delete and re-create the device"
        );
        assert_eq!(exit_code(&e), 2);
        let (r, _, _) = run_line(false, refuse, "link add lisp1 local 10.0.0.1");
        assert_eq!(exit_code(&r.unwrap_err()), 2);
    }

    #[test]
    fn missing_family() {
        let (open, _) = fake_kernel(true, |req, seq| {
            vec![error_reply(seq, libc::ENOENT, req, None, None)]
        });
        let mut out = Vec::new();
        let mut ctx = Ctx::new(Printer::new(&mut out, Mode::Text), open);
        let e = ctx
            .run(parse_command(["map", "flush", "dev", "x"].into_iter()).unwrap())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "generic netlink family \"lisp\" not found (is the lisp module loaded?)"
        );
    }
}
