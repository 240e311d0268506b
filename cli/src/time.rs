//! Dates for people: `--since 2026-11-01`, `--since 72h`, ISO-8601 output.
//! UTC throughout (the audit record's `ts_ms` is milliseconds since the epoch).

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// `2026-11-29T21:04:05.123Z`.
pub fn iso(ms: u64) -> String {
    let ms = ms as i64;
    let (days, rem) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

fn num(s: &str, what: &str) -> Result<i64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what}: expected digits, got {s:?}"));
    }
    s.parse().map_err(|_| format!("{what}: {s:?} is too large"))
}

/// A duration: `90s`, `15m`, `72h`, `7d`, `2w`, `500ms`, or combined `1h30m`.
pub fn duration_ms(s: &str) -> Result<u64, String> {
    let mut total: u64 = 0;
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("{s:?}: expected a number before the unit"));
        }
        let n = num(&rest[..digits], s)? as u64;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => MS_PER_DAY as u64,
            "w" => 7 * MS_PER_DAY as u64,
            u => return Err(format!("{s:?}: unknown unit {u:?} (ms, s, m, h, d, w)")),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("{s:?}: too large"))?;
    }
    Ok(total)
}

/// A point in time, in milliseconds since the epoch:
/// - `2026-11-01` (midnight UTC), `2026-11-01T08:30`, `2026-11-01T08:30:00Z`,
///   `2026-11-01 08:30:00.250+01:00` (any offset);
/// - a duration back from `now_ms`: `72h`, `7d`, `90m` (also `72h ago`);
/// - `now`; or epoch milliseconds as the audit record stores them.
pub fn instant_ms(s: &str, now_ms: u64) -> Result<u64, String> {
    let t = s.trim();
    if t == "now" {
        return Ok(now_ms);
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.len() > 8 {
        return t.parse().map_err(|_| format!("{s:?}: too large"));
    }
    if t.len() >= 10 && t.as_bytes().get(4) == Some(&b'-') && t.as_bytes().get(7) == Some(&b'-') {
        return datetime_ms(t).map_err(|e| {
            format!("{s:?}: {e} (expected e.g. 2026-11-01, 2026-11-01T08:30:00Z, 2026-11-01T08:30+01:00)")
        });
    }
    let d = t.strip_suffix("ago").map(str::trim).unwrap_or(t);
    match duration_ms(d) {
        Ok(back) => Ok(now_ms.saturating_sub(back)),
        Err(_) => Err(format!(
            "{s:?}: expected a date (2026-11-01, 2026-11-01T08:30:00Z), a duration back from now (72h, 7d, 30m), or epoch milliseconds"
        )),
    }
}

fn datetime_ms(t: &str) -> Result<u64, String> {
    let (y, mo, d) = (num(&t[0..4], "year")?, num(&t[5..7], "month")?, num(&t[8..10], "day")?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err("no such date".into());
    }
    let mut ms = days_from_civil(y, mo, d) * MS_PER_DAY;
    let rest = &t[10..];
    if rest.is_empty() {
        return u64::try_from(ms).map_err(|_| "before 1970".to_string());
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix(' '))
        .ok_or("expected T between date and time")?;
    // split off the offset: Z, +hh:mm, -hh:mm (or none: UTC)
    let (clock, offset_ms) = if let Some(c) = rest.strip_suffix('Z').or_else(|| rest.strip_suffix('z')) {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let hm = off[1..].replace(':', "");
        if hm.len() != 4 {
            return Err("offset must be +hh:mm".into());
        }
        let (oh, om) = (num(&hm[0..2], "offset")?, num(&hm[2..4], "offset")?);
        (c, sign * (oh * 3_600_000 + om * 60_000))
    } else {
        (rest, 0)
    };
    let mut parts = clock.splitn(3, ':');
    let h = num(parts.next().unwrap_or(""), "hour")?;
    let mi = num(parts.next().ok_or("expected hh:mm")?, "minute")?;
    let (s, frac) = match parts.next() {
        Some(sec) => match sec.split_once('.') {
            Some((s, f)) => {
                let f3: String = f.chars().chain("000".chars()).take(3).collect();
                (num(s, "second")?, num(&f3, "fraction")?)
            }
            None => (num(sec, "second")?, 0),
        },
        None => (0, 0),
    };
    if h > 23 || mi > 59 || s > 60 {
        return Err("no such time".into());
    }
    ms += h * 3_600_000 + mi * 60_000 + s * 1000 + frac - offset_ms;
    u64::try_from(ms).map_err(|_| "before 1970".to_string())
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        let t = instant_ms("2026-11-01", 0).unwrap();
        assert_eq!(iso(t), "2026-11-01T00:00:00.000Z");
        assert_eq!(t, 1_793_491_200_000);
        assert_eq!(
            iso(instant_ms("2024-02-29T23:59:59.5Z", 0).unwrap()),
            "2024-02-29T23:59:59.500Z"
        );
        assert_eq!(
            iso(instant_ms("2026-11-01T08:30+01:00", 0).unwrap()),
            "2026-11-01T07:30:00.000Z"
        );
        assert_eq!(
            iso(instant_ms("2026-11-01 08:30:00-02:30", 0).unwrap()),
            "2026-11-01T11:00:00.000Z"
        );
        assert!(instant_ms("2026-02-29", 0).is_err());
        assert!(instant_ms("2026-13-01", 0).is_err());
        assert!(instant_ms("yesterday", 0).is_err());
    }

    #[test]
    fn durations_count_back_from_now() {
        let now = 1_000_000_000_000;
        assert_eq!(instant_ms("72h", now).unwrap(), now - 72 * 3_600_000);
        assert_eq!(instant_ms("7d ago", now).unwrap(), now - 7 * 86_400_000);
        assert_eq!(instant_ms("1h30m", now).unwrap(), now - 5_400_000);
        assert_eq!(instant_ms("now", now).unwrap(), now);
        assert_eq!(instant_ms("1790000000000", now).unwrap(), 1_790_000_000_000);
        assert!(duration_ms("3x").is_err());
        assert!(duration_ms("h").is_err());
    }
}
