//! Colour depth: how many colours the terminal shows, and how a 24-bit
//! colour (a theme's, or syntect's) is mapped onto the 256-colour palette.
//! The theme and the diff view's highlighter share both.

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColorDepth {
    /// 24-bit colour: theme colours are sent as they are written.
    TrueColor,
    /// The xterm 256-colour palette: `#rrggbb` colours are mapped to the
    /// nearest palette entry (16..=255, which unlike 0..=15 are the same in
    /// every terminal).
    Ansi256,
    /// No colour at all (`NO_COLOR`): styles keep only their modifiers, and
    /// each role adds modifiers of its own so it stays recognisable.
    None,
}

impl ColorDepth {
    /// Reads the environment: `NO_COLOR` (any non-empty value) turns colour
    /// off, `COLORTERM=truecolor|24bit` enables 24-bit colour, and anything
    /// else gets the 256-colour palette, which is safe everywhere (SSH and
    /// tmux often drop `COLORTERM` even when the terminal could do more).
    pub fn detect() -> ColorDepth {
        let no_color = std::env::var("NO_COLOR").ok();
        let colorterm = std::env::var("COLORTERM").ok();
        ColorDepth::from_env(no_color.as_deref(), colorterm.as_deref())
    }

    /// [`ColorDepth::detect`] with the variables passed in, for tests.
    pub fn from_env(no_color: Option<&str>, colorterm: Option<&str>) -> ColorDepth {
        // no-color.org: "when present and not an empty string".
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ColorDepth::None;
        }
        match colorterm.map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if v == "truecolor" || v == "24bit" => ColorDepth::TrueColor,
            _ => ColorDepth::Ansi256,
        }
    }
}

/// The nearest xterm-256 palette entry (16..=255) to a 24-bit colour.
///
/// The palette is a 6×6×6 cube (levels 0, 95, 135, …, 255) plus a 24-step
/// grey ramp. Distance is plain squared RGB distance, which is separable per
/// channel, so the nearest cube colour is the nearest level per channel and
/// the nearest grey is the one nearest the channel mean. One adjustment:
/// a clearly tinted colour (saturation ≥ 30%) keeps its hue by taking the
/// cube colour even when a grey is closer, so e.g. a dark green diff
/// background stays green instead of turning into a grey row.
pub fn nearest_256([r, g, b]: [u8; 3]) -> u8 {
    const LEVELS: [i32; 6] = [0, 95, 135, 175, 215, 255];
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let level = |v: i32| -> usize {
        let mut best = 0;
        for (i, l) in LEVELS.iter().enumerate() {
            if (v - l).abs() < (v - LEVELS[best]).abs() {
                best = i;
            }
        }
        best
    };
    let dist = |x: i32, y: i32, z: i32| (r - x).pow(2) + (g - y).pow(2) + (b - z).pow(2);

    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    let cube_dist = dist(LEVELS[ri], LEVELS[gi], LEVELS[bi]);

    // Grey ramp: index 232 + i is the grey 8 + 10 i, for i in 0..24.
    let mean = (r + g + b) / 3;
    let step = ((mean - 8 + 5).div_euclid(10)).clamp(0, 23);
    let grey = 8 + 10 * step;
    let grey_index = 232 + step;
    let grey_dist = dist(grey, grey, grey);

    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let chroma = max - min;
    let tinted = chroma >= 16 && chroma * 10 >= max * 3;
    let cube_is_grey = ri == gi && gi == bi;

    let index = if (tinted && !cube_is_grey) || cube_dist <= grey_dist {
        cube_index
    } else {
        grey_index as usize
    };
    // Both ranges lie within 16..=255.
    u8::try_from(index).unwrap_or(255)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_depth_from_env() {
        use ColorDepth::*;
        assert_eq!(ColorDepth::from_env(Some("1"), Some("truecolor")), None);
        assert_eq!(ColorDepth::from_env(Some(""), Some("truecolor")), TrueColor);
        assert_eq!(ColorDepth::from_env(Option::None, Some("24bit")), TrueColor);
        assert_eq!(
            ColorDepth::from_env(Option::None, Some("TrueColor")),
            TrueColor
        );
        assert_eq!(ColorDepth::from_env(Option::None, Some("")), Ansi256);
        assert_eq!(ColorDepth::from_env(Option::None, Option::None), Ansi256);
    }

    #[test]
    fn nearest_palette_entries() {
        assert_eq!(nearest_256([0, 0, 0]), 16);
        assert_eq!(nearest_256([255, 255, 255]), 231);
        assert_eq!(nearest_256([0x5f, 0x87, 0xaf]), 67); // exact cube colour
        assert_eq!(nearest_256([0x80, 0x80, 0x80]), 244); // exact grey
        assert_eq!(nearest_256([0x2b, 0x30, 0x3b]), 236); // near-grey → grey ramp
        assert_eq!(nearest_256([0x1f, 0x3d, 0x26]), 22); // dark green tint keeps its hue
        for rgb in [[1, 2, 3], [250, 10, 10], [120, 121, 119], [7, 200, 90]] {
            assert!(nearest_256(rgb) >= 16);
        }
    }

    #[test]
    fn maps_to_the_256_palette() {
        assert_eq!(nearest_256([0, 0, 0]), 16);
        assert_eq!(nearest_256([255, 255, 255]), 231);
        assert_eq!(nearest_256([255, 0, 0]), 196);
        assert_eq!(nearest_256([0, 135, 255]), 33);
        assert_eq!(nearest_256([128, 128, 128]), 244);
        assert_eq!(nearest_256([238, 238, 238]), 255);
        assert_eq!(nearest_256([8, 8, 8]), 232);
    }
}
