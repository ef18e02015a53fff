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
  /** Where the frames lie in the patient (cross-sectional DICOM); absent for plain images. */
  geometry?: SliceGeometry;
}

/** The tags a series reader groups and orders slices by (DICOM PS3.3 C.7.6.2, C.7.6.16). */
export interface SliceGeometry {
  /** Image Position (Patient) of each frame, mm; undefined for a frame whose file does not say. */
  framePositions: ([number, number, number] | undefined)[];
  /** Image Orientation (Patient): row then column direction cosines. */
  orientation?: [number, number, number, number, number, number];
  instanceNumber?: number;
  sliceThicknessMm?: number;
  spacingBetweenSlicesMm?: number;
  /** Rescale Slope and Intercept applied to the stored values (CT: to Hounsfield units). */
  rescale: { slope: number; intercept: number; type?: string };
}

/** A display image: intensities in [0, 1], 1 = bright (radiopaque). */
export interface Image {
  width: number;
  height: number;
  data: Float32Array;
}
