export declare const PRESET_DIR: string;
export declare function presetLayersJson(): Promise<string>;
