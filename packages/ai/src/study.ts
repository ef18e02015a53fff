/** One image plane in modality values (after rescale slope/intercept; luminance for colour). */
export interface Frame {
  width: number;
  height: number;
  values: Float32Array;
}

export interface VoiWindow {
  center: number;
  width: number;
}

/** What was read from a file: pixels plus the metadata the pipeline and the report keep. */
export interface Study {
  format: "dicom" | "png" | "jpeg";
  /** DICOM modality code (IO intraoral, PX panoramic, DX, CT, MR, ...); "OT" for plain images. */
  modality: string;
  equipment: { manufacturer?: string; model?: string; station?: string; software?: string };
  uids: { study?: string; series?: string; instance?: string };
  bodyPart?: string;
  /** Image laterality (R, L, B) when the file says it. */
  laterality?: string;
  /** Patient orientation of rows and columns, e.g. ["L", "F"]. */
  orientation?: [string, string];
  /** Row and column spacing in mm. */
  pixelSpacingMm?: [number, number];
  photometric: string;
  bitsStored: number;
  transferSyntax?: string;
  /** The file's first VOI window, if any. */
  window?: VoiWindow;
  /** Value range a viewer would assume without a window (stored bit range after rescale). */
  frames: Frame[];
}

/** A display image: intensities in [0, 1], 1 = bright (radiopaque). */
export interface Image {
  width: number;
  height: number;
  data: Float32Array;
}
