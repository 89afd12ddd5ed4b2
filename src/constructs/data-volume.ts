import { Construct } from "constructs";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { isKnown, propError } from "./validation";

export interface DataVolumeProps {
  /** Availability zone of the volume, which the instance must share (may be a reference). */
  readonly availabilityZone: string;
  /** Size in GiB (may be a reference). @default 10 */
  readonly sizeGiB?: number;
  /** `Name` tag. */
  readonly name: string;
  /** Refuse to destroy the volume (Terraform's `prevent_destroy`): a plan that would delete it fails, and
   * deleting it takes a deliberate step (see docs/operations.md). @default true */
  readonly protect?: boolean;
  /** Extra tags, e.g. the one a snapshot policy selects volumes by. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The device name the volume is attached as: Nitro instances show it as NVMe, found by the volume's id. */
export const DATA_DEVICE_NAME = "/dev/sdf";

/**
 * An encrypted gp3 EBS volume for everything stateful, kept when the instance is replaced: the new instance gets
 * the same volume. Deleting it (a destroy, a change of zone) first takes a final snapshot.
 */
export class DataVolume extends Construct {
  public readonly volume: EbsVolume;
  /** The attachment, once `attachTo` was called. */
  public attachment?: VolumeAttachment;
  public readonly deviceName = DATA_DEVICE_NAME;

  constructor(scope: Construct, id: string, props: DataVolumeProps) {
    super(scope, id);
    const size = props.sizeGiB ?? 10;
    if (isKnown(size) && !(Number.isInteger(size) && size >= 1 && size <= 16384)) {
      throw propError("DataVolume", "sizeGiB", `must be a whole number of GiB from 1 to 16384, got ${size}`);
    }
    this.volume = new EbsVolume(this, "volume", {
      availabilityZone: props.availabilityZone,
      size,
      type: "gp3",
      encrypted: true,
      finalSnapshot: true,
      tags: { Name: props.name, ...props.tags },
      lifecycle: props.protect === false ? undefined : { preventDestroy: true },
    });
  }

  /**
   * Attaches the volume to `instance`. The instance is stopped before a detach (its replacement, a destroy), so
   * PostgreSQL shuts down cleanly and nothing is written during the detach.
   */
  attachTo(instance: Instance): VolumeAttachment {
    if (this.attachment) throw propError("DataVolume", "attachTo", "was called twice: a volume has one instance");
    this.attachment = new VolumeAttachment(this, "attachment", {
      deviceName: this.deviceName,
      volumeId: this.volume.id,
      instanceId: instance.id,
      stopInstanceBeforeDetaching: true,
    });
    return this.attachment;
  }
}
