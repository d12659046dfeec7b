//! The field on screen: the colormap kernel writes the simulation's current field, on the GPU,
//! into a pixel buffer that is copied into a texture egui draws (nothing passes through the
//! CPU per frame), plus zoom, pan, painting with the mouse and a read-out under the cursor.

use eframe::egui;
use eframe::egui_wgpu::RenderState;
use eframe::wgpu;

use idf::kernels::Colormap;

use crate::live::Live;

/// The field's texture on eframe's device.
pub struct FieldTexture {
    size: (u32, u32),
    pixels: wgpu::Buffer,
    texture: wgpu::Texture,
    id: egui::TextureId,
}

/// Checks that a `width × height` field fits this device's largest texture and pixel buffer,
/// so that a field too big to show is refused before it replaces the running one.
pub fn check_fits(device: &wgpu::Device, (width, height): (usize, usize)) -> idf::Result<()> {
    let limits = device.limits();
    let side = limits.max_texture_dimension_2d as usize;
    if width > side || height > side {
        return Err(idf::IdfError::invalid(
            "size",
            format!(
                "a {width}×{height} field is larger than this GPU's largest texture, {side}×{side}"
            ),
        ));
    }
    let bytes = width as u64 * height as u64 * 4;
    let max_bytes = limits
        .max_buffer_size
        .min(limits.max_storage_buffer_binding_size);
    if bytes > max_bytes {
        return Err(idf::IdfError::invalid(
            "size",
            format!(
                "a {width}×{height} field needs {bytes} bytes of pixels; this GPU binds at most {max_bytes}"
            ),
        ));
    }
    Ok(())
}

impl FieldTexture {
    /// A texture for a `width × height` field, registered with egui's renderer; refused when
    /// the field does not fit the device (see [`check_fits`]).
    pub fn new(render_state: &RenderState, (width, height): (u32, u32)) -> idf::Result<Self> {
        let device = &render_state.device;
        check_fits(device, (width as usize, height as usize))?;
        let pixels = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("idf-viewer pixels"),
            size: width as u64 * height as u64 * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("idf-viewer field"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        let id = render_state.renderer.write().register_native_texture(
            device,
            &view,
            wgpu::FilterMode::Nearest,
        );
        Ok(FieldTexture {
            size: (width, height),
            pixels,
            texture,
            id,
        })
    }

    /// The texture's id for egui.
    pub fn id(&self) -> egui::TextureId {
        self.id
    }

    /// The field size it draws.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Frees the texture in egui's renderer.
    pub fn free(&self, render_state: &RenderState) {
        render_state.renderer.write().free_texture(&self.id);
    }

    /// Colours chain 0 of the current field into the texture, on the GPU.
    pub fn update(&self, live: &mut Live, map: Colormap) -> idf::Result<()> {
        let (lo, hi) = live.color_range();
        let ctx = live.context().clone();
        let gpu = ctx.gpu_context().ok_or_else(|| {
            idf::IdfError::Gpu("the viewer draws from a GPU buffer; the context has none".into())
        })?;
        let pipeline = gpu.colormap_pipeline()?;
        let buffer = live
            .simulation()
            .gpu_buffer()
            .ok_or_else(|| idf::IdfError::Gpu("the simulation is not on the GPU".into()))?;
        let (w, h) = self.size;
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        pipeline.record(
            &gpu.device,
            &mut encoder,
            buffer,
            0,
            (w, h),
            (lo, hi),
            map,
            &self.pixels,
        );
        // Rows of a buffer-to-texture copy are 256-byte aligned: one copy when the width allows
        // it, one per row otherwise.
        let row_bytes = w * 4;
        let rows: Vec<(u32, u32)> = if row_bytes % wgpu::COPY_BYTES_PER_ROW_ALIGNMENT == 0 {
            vec![(0, h)]
        } else {
            (0..h).map(|y| (y, 1)).collect()
        };
        for (y, count) in rows {
            encoder.copy_buffer_to_texture(
                wgpu::TexelCopyBufferInfo {
                    buffer: &self.pixels,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: y as u64 * row_bytes as u64,
                        bytes_per_row: Some(row_bytes.next_multiple_of(256)),
                        rows_per_image: Some(count),
                    },
                },
                wgpu::TexelCopyTextureInfo {
                    texture: &self.texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d { x: 0, y, z: 0 },
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::Extent3d {
                    width: w,
                    height: count,
                    depth_or_array_layers: 1,
                },
            );
        }
        gpu.queue.submit([encoder.finish()]);
        Ok(())
    }
}

/// What a drag with the primary button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// Move the view.
    Pan,
    /// Raise values under the brush (spins to +1).
    Raise,
    /// Lower values under the brush (spins to −1).
    Lower,
}

/// Zoom, pan, brush and the last read-out.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewState {
    /// Magnification, 1 (the whole field) to 32.
    pub zoom: f32,
    /// The field coordinate (0..1) at the centre of the view.
    pub center: egui::Vec2,
    /// The primary button's tool.
    pub tool: Tool,
    /// Brush radius in sites.
    pub brush_radius: f32,
    /// Change at the brush's centre per frame of painting.
    pub brush_strength: f32,
    /// The site under the cursor and its value.
    pub readout: Option<(usize, usize, f32)>,
    /// A screenshot is being taken: the cursor's brush ring and read-out are left out.
    pub capturing: bool,
    /// Where the field was last drawn, on screen.
    pub shown: egui::Rect,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            zoom: 1.0,
            center: egui::vec2(0.5, 0.5),
            tool: Tool::Raise,
            brush_radius: 6.0,
            brush_strength: 0.5,
            readout: None,
            capturing: false,
            shown: egui::Rect::NOTHING,
        }
    }
}

impl ViewState {
    fn uv_rect(&self) -> egui::Rect {
        let half = 0.5 / self.zoom;
        egui::Rect::from_center_size(self.center.to_pos2(), egui::vec2(2.0 * half, 2.0 * half))
    }

    /// Shows the whole field again: no zoom, centred.
    pub fn fit(&mut self) {
        self.zoom = 1.0;
        self.center = egui::vec2(0.5, 0.5);
    }

    fn clamp_center(&mut self) {
        let half = 0.5 / self.zoom;
        self.center.x = self.center.x.clamp(half, 1.0 - half);
        self.center.y = self.center.y.clamp(half, 1.0 - half);
    }

    /// The field coordinate (0..1) under a screen position in `rect`.
    fn uv_at(&self, rect: egui::Rect, pos: egui::Pos2) -> egui::Vec2 {
        let uv = self.uv_rect();
        let t = (pos - rect.min) / rect.size();
        egui::vec2(uv.min.x + t.x * uv.width(), uv.min.y + t.y * uv.height())
    }
}

/// Height kept under the field for the colour bar and its labels.
const COLORBAR_HEIGHT: f32 = 30.0;

/// The colour bar under the field: `map` from `lo` (left) to `hi` (right), the ends labelled.
fn colorbar(ui: &mut egui::Ui, map: Colormap, (lo, hi): (f32, f32), width: f32) {
    ui.horizontal(|ui| {
        ui.monospace(format!("{lo:.3}"));
        let labels = 2.0 * 70.0;
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2((width - labels).max(40.0), 12.0),
            egui::Sense::hover(),
        );
        let table = map.table();
        let segments = 64;
        for k in 0..segments {
            let rgba = table[k * (table.len() - 1) / (segments - 1)];
            let [r, g, b] = [rgba[0], rgba[1], rgba[2]].map(|c| (c.clamp(0.0, 1.0) * 255.0) as u8);
            let x0 = rect.min.x + rect.width() * k as f32 / segments as f32;
            let x1 = rect.min.x + rect.width() * (k + 1) as f32 / segments as f32;
            ui.painter().rect_filled(
                egui::Rect::from_x_y_ranges(x0..=x1, rect.y_range()),
                0.0,
                egui::Color32::from_rgb(r, g, b),
            );
        }
        ui.monospace(format!("{hi:.3}"));
    });
}

/// Draws the field and its colour bar, and handles zoom (scroll), pan (middle drag, or the pan
/// tool), painting and the read-out. Returns whether the field was painted, so that the caller
/// redraws it.
pub fn show(
    ui: &mut egui::Ui,
    texture: &FieldTexture,
    live: &mut Live,
    view: &mut ViewState,
) -> idf::Result<bool> {
    let (w, h) = texture.size();
    // Room under the field for its colour bar.
    let available = ui.available_size() - egui::vec2(0.0, COLORBAR_HEIGHT);
    let scale = (available.x / w as f32)
        .min(available.y / h as f32)
        .max(0.1);
    let size = egui::vec2(w as f32 * scale, h as f32 * scale);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
    view.shown = rect;
    ui.painter()
        .image(texture.id(), rect, view.uv_rect(), egui::Color32::WHITE);

    let mut painted = Ok(false);
    if let Some(pos) = response.hover_pos() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            let before = view.uv_at(rect, pos);
            view.zoom = (view.zoom * (scroll * 0.003).exp()).clamp(1.0, 32.0);
            view.clamp_center();
            let after = view.uv_at(rect, pos);
            view.center += before - after;
            view.clamp_center();
        }
        let uv = view.uv_at(rect, pos);
        let x = ((uv.x * w as f32) as usize).min(w as usize - 1);
        let y = ((uv.y * h as f32) as usize).min(h as usize - 1);
        view.readout = if view.capturing {
            None
        } else {
            live.simulation()
                .value_at(y * w as usize + x)
                .ok()
                .map(|v| (x, y, v))
        };
        let painting = view.tool != Tool::Pan
            && (response.dragged_by(egui::PointerButton::Primary)
                || response.clicked_by(egui::PointerButton::Primary));
        if painting {
            // A stroke's first touch remembers the field it changes, for Ctrl+Z.
            let stroke_starts = response.drag_started_by(egui::PointerButton::Primary)
                || response.clicked_by(egui::PointerButton::Primary);
            if stroke_starts {
                live.remember_field()?;
            }
            let sign = if view.tool == Tool::Raise { 1.0 } else { -1.0 };
            painted =
                paint(live, (x, y), view.brush_radius, sign * view.brush_strength).map(|_| true);
        }
        let brush = view.brush_radius * rect.width() / (w as f32) * view.zoom;
        if view.tool != Tool::Pan && !view.capturing {
            ui.painter().circle_stroke(
                pos,
                brush,
                egui::Stroke::new(1.0, egui::Color32::from_white_alpha(160)),
            );
        }
    } else {
        view.readout = None;
    }
    let panning = response.dragged_by(egui::PointerButton::Middle)
        || (view.tool == Tool::Pan && response.dragged_by(egui::PointerButton::Primary));
    if panning {
        let delta = response.drag_delta() / rect.size() / view.zoom;
        view.center -= delta;
        view.clamp_center();
    }
    colorbar(ui, live.settings.colormap, live.color_range(), rect.width());
    painted
}

/// Adds a Gaussian bump of height `amount` and width `radius` at site `(x, y)` of chain 0
/// (periodic); spins are set to the sign of `amount` within the radius instead.
pub fn paint(live: &mut Live, (x, y): (usize, usize), radius: f32, amount: f32) -> idf::Result<()> {
    let spins = live.settings.model.state().is_discrete();
    let mut field = live.simulation().field()?;
    let shape = field.shape();
    let (w, h) = (shape.width as isize, shape.height as isize);
    let r = radius.ceil() as isize;
    let sigma2 = (radius / 2.0).max(0.5).powi(2);
    let data = field.data_mut();
    for dy in -r..=r {
        for dx in -r..=r {
            let d2 = (dx * dx + dy * dy) as f32;
            if d2 > radius * radius {
                continue;
            }
            let yy = (y as isize + dy).rem_euclid(h) as usize;
            let xx = (x as isize + dx).rem_euclid(w) as usize;
            let v = &mut data[yy * w as usize + xx];
            if spins {
                *v = amount.signum();
            } else {
                *v += amount * (-d2 / (2.0 * sigma2)).exp();
            }
        }
    }
    live.set_field(&field)
}
