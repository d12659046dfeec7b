//! Encoders: H.264 in .mp4 (yuv420p through FFmpeg's swscale), GIF, and PNG sequences, chosen by
//! the output's extension. Output goes to a temporary name beside the final one and is renamed
//! only when the last frame is written, so an interrupted render never leaves a broken file.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::frame::RgbFrame;
use crate::error::{IdfError, Result};

/// Where a render goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A video file: `.mp4` (H.264) or `.gif`.
    File(PathBuf),
    /// A folder of `frame_00000.png`, … .
    PngDir(PathBuf),
}

impl Output {
    /// The final path.
    pub fn path(&self) -> &Path {
        match self {
            Output::File(p) | Output::PngDir(p) => p,
        }
    }
}

fn encode_error(path: &Path, e: impl std::fmt::Display) -> IdfError {
    IdfError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The temporary name beside `path`, keeping its extension (muxers go by it).
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{}.{}.tmp-{name}", name, std::process::id()))
}

/// The highest frame rate a GIF plays at: its delays are whole centiseconds, and browsers and
/// viewers replace delays under 2 cs with 10 cs.
pub const GIF_MAX_FPS: u32 = 50;

/// The delay (centiseconds) of GIF frame `k` at `fps` (≤ [`GIF_MAX_FPS`]): the difference of
/// rounded frame times, so that the delays sum to the exact duration (30 fps: 3, 4, 3, 3, 4, 3…).
pub fn gif_delay(k: usize, fps: u32) -> u16 {
    let at = |k: usize| (100.0 * k as f64 / fps as f64).round() as u64;
    (at(k + 1) - at(k)) as u16
}

/// A stream of frames into one output.
pub struct Sink {
    output: Output,
    tmp: PathBuf,
    encoder: Encoder,
    frames: usize,
    fps: u32,
}

enum Encoder {
    #[cfg(feature = "video")]
    Mp4(Box<mp4::Mp4Encoder>),
    Gif(Box<gif::Encoder<BufWriter<File>>>),
    Png,
}

impl Sink {
    /// Opens `output` for `width × height` frames (even sizes) at `fps`.
    pub fn create(output: &Output, width: usize, height: usize, fps: u32) -> Result<Self> {
        let path = output.path();
        // Refused before the first frame is rendered, not at the final rename.
        match output {
            Output::PngDir(p) if p.exists() && !p.is_dir() => {
                return Err(IdfError::invalid(
                    "out_dir",
                    format!("{} exists and is not a folder", p.display()),
                ))
            }
            Output::File(p) if p.is_dir() => {
                return Err(IdfError::invalid(
                    "out",
                    format!("{} is a folder; name a file", p.display()),
                ))
            }
            _ => {}
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| IdfError::io(dir, e))?;
        }
        let tmp = temporary(path);
        let encoder = match output {
            Output::PngDir(_) => {
                std::fs::create_dir_all(&tmp).map_err(|e| IdfError::io(&tmp, e))?;
                Encoder::Png
            }
            Output::File(p) => match p.extension().and_then(|e| e.to_str()) {
                #[cfg(feature = "video")]
                Some("mp4") => {
                    Encoder::Mp4(Box::new(mp4::Mp4Encoder::create(&tmp, width, height, fps)?))
                }
                #[cfg(not(feature = "video"))]
                Some("mp4") => {
                    return Err(encode_error(
                        p,
                        "this build has no video feature; render a .gif or --out-dir",
                    ))
                }
                Some("gif") => {
                    let (w, h) = (u16::try_from(width), u16::try_from(height));
                    let (Ok(w), Ok(h)) = (w, h) else {
                        return Err(encode_error(
                            p,
                            "GIF frames are at most 65535 pixels wide and high",
                        ));
                    };
                    let file = File::create(&tmp).map_err(|e| IdfError::io(&tmp, e))?;
                    let mut enc = gif::Encoder::new(BufWriter::new(file), w, h, &[])
                        .map_err(|e| encode_error(p, e))?;
                    enc.set_repeat(gif::Repeat::Infinite)
                        .map_err(|e| encode_error(p, e))?;
                    Encoder::Gif(Box::new(enc))
                }
                _ => {
                    return Err(IdfError::invalid(
                        "out",
                        format!(
                            "{}: use a .mp4 or .gif file, or --out-dir for PNG frames",
                            p.display()
                        ),
                    ))
                }
            },
        };
        let fps = match encoder {
            Encoder::Gif(_) => fps.min(GIF_MAX_FPS),
            _ => fps,
        };
        Ok(Sink {
            output: output.clone(),
            tmp,
            encoder,
            frames: 0,
            fps,
        })
    }

    /// The frame rate the output plays at: the requested one, except a GIF's, which is at most
    /// [`GIF_MAX_FPS`].
    pub fn fps(&self) -> u32 {
        self.fps
    }

    /// Appends one frame.
    pub fn push(&mut self, frame: &RgbFrame) -> Result<()> {
        let path = self.output.path().to_path_buf();
        match &mut self.encoder {
            #[cfg(feature = "video")]
            Encoder::Mp4(enc) => enc.push(frame).map_err(|e| encode_error(&path, e))?,
            Encoder::Gif(enc) => {
                let mut f = gif::Frame::from_rgb_speed(
                    frame.width as u16,
                    frame.height as u16,
                    &frame.data,
                    10,
                );
                f.delay = gif_delay(self.frames, self.fps);
                enc.write_frame(&f).map_err(|e| encode_error(&path, e))?;
            }
            Encoder::Png => {
                let file_path = self.tmp.join(format!("frame_{:05}.png", self.frames));
                write_png(&file_path, frame)?;
            }
        }
        self.frames += 1;
        Ok(())
    }

    /// Flushes the encoder and moves the output to its final name.
    pub fn finish(self) -> Result<PathBuf> {
        let path = self.output.path().to_path_buf();
        match self.encoder {
            #[cfg(feature = "video")]
            Encoder::Mp4(enc) => enc.finish().map_err(|e| encode_error(&path, e))?,
            Encoder::Gif(enc) => {
                enc.into_inner().map_err(|e| encode_error(&path, e))?;
            }
            Encoder::Png => {
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).map_err(|e| IdfError::io(&path, e))?;
                }
            }
        }
        std::fs::rename(&self.tmp, &path).map_err(|e| {
            remove_partial(&self.tmp);
            IdfError::io(&path, e)
        })?;
        Ok(path)
    }

    /// Drops the partial output.
    pub fn abort(self) {
        let tmp = self.tmp.clone();
        drop(self.encoder);
        remove_partial(&tmp);
    }
}

/// Removes a partial output: a temporary file, or a folder of frames.
fn remove_partial(tmp: &Path) {
    let _ = if tmp.is_dir() {
        std::fs::remove_dir_all(tmp)
    } else {
        std::fs::remove_file(tmp)
    };
}

/// Writes one frame as an 8-bit RGB PNG, atomically (a temporary file, then a rename).
pub fn write_png(path: &Path, frame: &RgbFrame) -> Result<()> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, frame.width as u32, frame.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| encode_error(path, e))?;
        writer
            .write_image_data(&frame.data)
            .map_err(|e| encode_error(path, e))?;
        writer.finish().map_err(|e| encode_error(path, e))?;
    }
    crate::io::write_atomic(path, &bytes)
}

/// What a decoded video holds.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoInfo {
    /// Codec name (`h264`).
    pub codec: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Frames decoded.
    pub frames: usize,
    /// Frames per second.
    pub fps: f64,
    /// Duration in seconds (frames / fps).
    pub duration_s: f64,
}

#[cfg(feature = "video")]
pub use mp4::{decode_frames, probe};

#[cfg(feature = "video")]
mod mp4 {
    use std::path::Path;

    use ffmpeg::{codec, encoder, format, frame, software::scaling, Dictionary, Packet, Rational};
    use ffmpeg_next as ffmpeg;

    use super::{encode_error, RgbFrame, VideoInfo};
    use crate::error::Result;

    /// H.264 (libx264, yuv420p) in an MP4 container.
    pub struct Mp4Encoder {
        octx: format::context::Output,
        encoder: encoder::Video,
        scaler: scaling::Context,
        rgb: frame::Video,
        yuv: frame::Video,
        time_base: Rational,
        stream_time_base: Rational,
        next_pts: i64,
    }

    // The FFmpeg contexts are owned by one encoder thread at a time and never shared.
    unsafe impl Send for Mp4Encoder {}

    impl Mp4Encoder {
        pub fn create(tmp: &Path, width: usize, height: usize, fps: u32) -> Result<Self> {
            let e = |err: ffmpeg::Error| encode_error(tmp, err);
            ffmpeg::init().map_err(e)?;
            ffmpeg::log::set_level(ffmpeg::log::Level::Error);
            let mut octx = format::output_as(tmp, "mp4").map_err(e)?;
            let codec = encoder::find(codec::Id::H264).ok_or_else(|| {
                encode_error(
                    tmp,
                    "FFmpeg has no H.264 encoder (install libavcodec with libx264)",
                )
            })?;
            let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
            let mut ost = octx.add_stream(codec).map_err(e)?;
            let mut enc = codec::context::Context::new_with_codec(codec)
                .encoder()
                .video()
                .map_err(e)?;
            let time_base = Rational(1, fps as i32);
            enc.set_width(width as u32);
            enc.set_height(height as u32);
            enc.set_format(format::Pixel::YUV420P);
            enc.set_time_base(time_base);
            enc.set_frame_rate(Some(Rational(fps as i32, 1)));
            if global_header {
                enc.set_flags(codec::Flags::GLOBAL_HEADER);
            }
            let mut options = Dictionary::new();
            options.set("preset", "medium");
            options.set("crf", "20");
            let encoder = enc.open_with(options).map_err(e)?;
            ost.set_parameters(&encoder);
            ost.set_time_base(time_base);
            ost.set_avg_frame_rate(Rational(fps as i32, 1));
            octx.write_header().map_err(e)?;
            let stream_time_base = octx.stream(0).map(|s| s.time_base()).unwrap_or(time_base);
            let scaler = scaling::Context::get(
                format::Pixel::RGB24,
                width as u32,
                height as u32,
                format::Pixel::YUV420P,
                width as u32,
                height as u32,
                scaling::Flags::BILINEAR,
            )
            .map_err(e)?;
            Ok(Mp4Encoder {
                octx,
                encoder,
                scaler,
                rgb: frame::Video::new(format::Pixel::RGB24, width as u32, height as u32),
                yuv: frame::Video::new(format::Pixel::YUV420P, width as u32, height as u32),
                time_base,
                stream_time_base,
                next_pts: 0,
            })
        }

        pub fn push(&mut self, frame: &RgbFrame) -> std::result::Result<(), ffmpeg::Error> {
            let stride = self.rgb.stride(0);
            let row = frame.width * 3;
            let data = self.rgb.data_mut(0);
            for y in 0..frame.height {
                data[y * stride..y * stride + row]
                    .copy_from_slice(&frame.data[y * row..(y + 1) * row]);
            }
            self.scaler.run(&self.rgb, &mut self.yuv)?;
            self.yuv.set_pts(Some(self.next_pts));
            self.next_pts += 1;
            self.encoder.send_frame(&self.yuv)?;
            self.drain()
        }

        fn drain(&mut self) -> std::result::Result<(), ffmpeg::Error> {
            let mut packet = Packet::empty();
            while self.encoder.receive_packet(&mut packet).is_ok() {
                packet.set_stream(0);
                packet.rescale_ts(self.time_base, self.stream_time_base);
                packet.write_interleaved(&mut self.octx)?;
            }
            Ok(())
        }

        pub fn finish(mut self) -> std::result::Result<(), ffmpeg::Error> {
            self.encoder.send_eof()?;
            self.drain()?;
            self.octx.write_trailer()
        }
    }

    /// Decodes a video and counts its frames.
    pub fn probe(path: &Path) -> Result<VideoInfo> {
        let mut frames = 0;
        let info = decode(path, |_| frames += 1)?;
        Ok(VideoInfo {
            frames,
            duration_s: frames as f64 / info.fps,
            ..info
        })
    }

    /// Decodes every frame of a video to RGB.
    pub fn decode_frames(path: &Path) -> Result<Vec<RgbFrame>> {
        let mut out = Vec::new();
        decode(path, |f| out.push(f))?;
        Ok(out)
    }

    fn decode(path: &Path, mut each: impl FnMut(RgbFrame)) -> Result<VideoInfo> {
        let e = |err: ffmpeg::Error| encode_error(path, err);
        ffmpeg::init().map_err(e)?;
        let mut ictx = format::input(path).map_err(e)?;
        let stream = ictx
            .streams()
            .best(ffmpeg::media::Type::Video)
            .ok_or_else(|| encode_error(path, "no video stream"))?;
        let index = stream.index();
        let rate = stream.avg_frame_rate();
        let fps = rate.numerator() as f64 / rate.denominator().max(1) as f64;
        let mut decoder = codec::context::Context::from_parameters(stream.parameters())
            .map_err(e)?
            .decoder()
            .video()
            .map_err(e)?;
        let codec = decoder
            .codec()
            .map(|c| c.name().to_string())
            .unwrap_or_default();
        let (w, h) = (decoder.width(), decoder.height());
        let mut scaler = scaling::Context::get(
            decoder.format(),
            w,
            h,
            format::Pixel::RGB24,
            w,
            h,
            scaling::Flags::BILINEAR,
        )
        .map_err(e)?;
        let mut receive = |decoder: &mut ffmpeg::decoder::Video| -> Result<()> {
            let mut decoded = frame::Video::empty();
            while decoder.receive_frame(&mut decoded).is_ok() {
                let mut rgb = frame::Video::empty();
                scaler.run(&decoded, &mut rgb).map_err(e)?;
                let (stride, row) = (rgb.stride(0), w as usize * 3);
                let mut data = Vec::with_capacity(row * h as usize);
                for y in 0..h as usize {
                    data.extend_from_slice(&rgb.data(0)[y * stride..y * stride + row]);
                }
                each(RgbFrame {
                    width: w as usize,
                    height: h as usize,
                    data,
                });
            }
            Ok(())
        };
        for (s, packet) in ictx.packets() {
            if s.index() == index {
                decoder.send_packet(&packet).map_err(e)?;
                receive(&mut decoder)?;
            }
        }
        decoder.send_eof().map_err(e)?;
        receive(&mut decoder)?;
        Ok(VideoInfo {
            codec,
            width: w,
            height: h,
            frames: 0,
            fps,
            duration_s: 0.0,
        })
    }
}
