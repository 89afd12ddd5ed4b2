import "../cdktf-matchers";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { DATA_DEVICE_NAME, DataVolume, DataVolumeProps } from "../../src/constructs/data-volume";

/** A fresh stack with an AWS provider, for one test. */
function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "eu-west-3" });
  return stack;
}

const PROPS: DataVolumeProps = { availabilityZone: "eu-west-3a", name: "keycloak-data" };
const only = (tf: Record<string, any>, type: string): Record<string, any> => {
  const items = Object.entries(tf.resource[type]);
  expect(items).toHaveLength(1);
  return { id: items[0][0], ...(items[0][1] as object) };
};

/** The parsed JSON of a stack (fresh unless given) holding one DataVolume, unattached. */
function synthVolume(props: Partial<DataVolumeProps>, stack = newStack()): Record<string, any> {
  new DataVolume(stack, "data", { ...PROPS, ...props });
  return JSON.parse(Testing.synth(stack));
}

describe("DataVolume validation", () => {
  it.each([0, 10.5, 16385])("rejects a size of %p GiB", (sizeGiB) => {
    // GIVEN / WHEN / THEN
    expect(() => new DataVolume(newStack(), "data", { ...PROPS, sizeGiB })).toThrow(
      /DataVolume: 'sizeGiB' must be a whole number of GiB from 1 to 16384, got /,
    );
  });

  it("accepts the bounds of 1 and 16384 GiB", () => {
    // GIVEN / WHEN / THEN
    expect(() => new DataVolume(newStack(), "data", { ...PROPS, sizeGiB: 1 })).not.toThrow();
    expect(() => new DataVolume(newStack(), "data", { ...PROPS, sizeGiB: 16384 })).not.toThrow();
  });

  it("refuses a second attachment", () => {
    // GIVEN
    const stack = newStack();
    const volume = new DataVolume(stack, "data", PROPS);
    volume.attachTo(new Instance(stack, "first", { ami: "ami-0123456789abcdef0", instanceType: "t3.small" }));
    const second = new Instance(stack, "second", { ami: "ami-0123456789abcdef0", instanceType: "t3.small" });
    // WHEN / THEN
    expect(() => volume.attachTo(second)).toThrow(/DataVolume: 'attachTo' was called twice/);
  });
});

describe("DataVolume volume", () => {
  it("is an encrypted gp3 volume of 10 GiB by default", () => {
    // GIVEN / WHEN
    const tf = synthVolume({});
    // THEN
    expect(only(tf, "aws_ebs_volume")).toMatchObject({ type: "gp3", encrypted: true, size: 10 });
  });

  it("takes a final snapshot when it is deleted, protected or not", () => {
    // GIVEN / WHEN
    const json = JSON.stringify(synthVolume({}));
    const unprotected = JSON.stringify(synthVolume({ protect: false }));
    // THEN
    expect(json).toHaveResourceWithProperties(EbsVolume, { final_snapshot: true });
    expect(unprotected).toHaveResourceWithProperties(EbsVolume, { final_snapshot: true });
  });

  it("prevents its destruction by default", () => {
    // GIVEN / WHEN
    const volume = only(synthVolume({}), "aws_ebs_volume");
    // THEN
    expect(volume.lifecycle).toEqual({ prevent_destroy: true });
  });

  it("may be destroyed when unprotected", () => {
    // GIVEN / WHEN
    const volume = only(synthVolume({ protect: false }), "aws_ebs_volume");
    // THEN
    expect(volume).not.toHaveProperty("lifecycle");
  });

  it("is made in the availability zone given", () => {
    // GIVEN / WHEN
    const volume = only(synthVolume({ availabilityZone: "eu-west-3c" }), "aws_ebs_volume");
    // THEN
    expect(volume.availability_zone).toBe("eu-west-3c");
  });

  it("carries the Name tag alone by default, and the extra tags beside it", () => {
    // GIVEN / WHEN
    const plain = only(synthVolume({}), "aws_ebs_volume");
    const tagged = only(synthVolume({ tags: { "keycloak-ec2:snapshots": "kc" } }), "aws_ebs_volume");
    // THEN
    expect(plain.tags).toEqual({ Name: "keycloak-data" });
    expect(tagged.tags).toEqual({ Name: "keycloak-data", "keycloak-ec2:snapshots": "kc" });
  });

  it("accepts a size and a zone given as variables, unchecked, as references", () => {
    // GIVEN
    const stack = newStack();
    const size = new TerraformVariable(stack, "data_volume_size", { type: "number" });
    const zone = new TerraformVariable(stack, "availability_zone", { type: "string" });
    // WHEN
    const tf = synthVolume({ sizeGiB: size.numberValue, availabilityZone: zone.stringValue }, stack);
    // THEN
    expect(only(tf, "aws_ebs_volume")).toMatchObject({
      size: "${var.data_volume_size}",
      availability_zone: "${var.availability_zone}",
    });
  });
});

describe("DataVolume attachment", () => {
  /** A volume attached to a bare instance named "instance"; the parsed JSON and the volume. */
  function synthAttached(): { tf: Record<string, any>; volume: DataVolume; attachment: VolumeAttachment } {
    const stack = newStack();
    const volume = new DataVolume(stack, "data", PROPS);
    const instance = new Instance(stack, "instance", { ami: "ami-0123456789abcdef0", instanceType: "t3.small" });
    const attachment = volume.attachTo(instance);
    return { tf: JSON.parse(Testing.synth(stack)), volume, attachment };
  }

  it("makes no attachment until attachTo is called", () => {
    // GIVEN / WHEN
    const tf = synthVolume({});
    // THEN
    expect(tf.resource.aws_volume_attachment).toBeUndefined();
  });

  it("attaches the volume to the instance as /dev/sdf, stopping the instance before a detach", () => {
    // GIVEN / WHEN
    const { tf } = synthAttached();
    // THEN
    const volumeId = only(tf, "aws_ebs_volume").id;
    expect(JSON.stringify(tf)).toHaveResourceWithProperties(VolumeAttachment, {
      device_name: "/dev/sdf",
      volume_id: `\${aws_ebs_volume.${volumeId}.id}`,
      instance_id: "${aws_instance.instance.id}",
      stop_instance_before_detaching: true,
    });
  });

  it("exposes the attachment it made and the device name it used", () => {
    // GIVEN / WHEN
    const { volume, attachment } = synthAttached();
    // THEN
    expect(volume.attachment).toBe(attachment);
    expect(volume.deviceName).toBe(DATA_DEVICE_NAME);
    expect(DATA_DEVICE_NAME).toBe("/dev/sdf");
  });
});
