//! The catalogue (服务包目录): eight basic packages, one per public-health
//! population group (基础服务包按基本公共卫生服务人群分为8类), and eleven paid
//! personalised packages (有偿服务包分11类), each bundled with the basic
//! package of its group (与所属人群基础服务包捆绑).
//!
//! The plan names the packages, not their contents. Items and yearly counts
//! follow the national protocols where domain.md gives them (diabetes: four
//! fasting-glucose tests and four face-to-face follow-ups; severe mental
//! disorder: at least four follow-ups, each with a risk assessment) and the
//! plan's "一年一次健康体检、一次健康评估" for every signed resident; the rest
//! are this plugin's illustration of each group's services. No item has a
//! price cap: the plan sets none.

use crate::qianyue::county::types::{Item, Package, PackageKind, PopulationTags, Refusal, ResidentFacts};

use super::{Config, check_resident, tag_names};

pub struct ItemSpec {
    pub code: &'static str,
    pub name: &'static str,
    pub times_per_year: u32,
}

/// A package without its price, which the configuration gives.
pub struct PackageSpec {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: PackageKind,
    /// Residents with any of these tags may sign it; empty: anyone.
    pub target_groups: PopulationTags,
    /// Residents with any of these tags may not: the healthy-population and
    /// high-risk packages are not for diagnosed patients.
    pub excluded: PopulationTags,
    pub bundled_with: Option<&'static str>,
    pub items: &'static [ItemSpec],
}

const fn item(code: &'static str, name: &'static str, times_per_year: u32) -> ItemSpec {
    ItemSpec { code, name, times_per_year }
}

pub const CHILD: &str = "AH-JC-ET";
pub const MATERNAL: &str = "AH-JC-YF";
pub const ELDERLY: &str = "AH-JC-LN";
pub const HYPERTENSION: &str = "AH-JC-GXY";
pub const DIABETES: &str = "AH-JC-TNB";
pub const MENTAL: &str = "AH-JC-JSZA";
pub const TUBERCULOSIS: &str = "AH-JC-JHB";
pub const GENERAL: &str = "AH-JC-YB";

/// Which basic package a resident gets when several groups apply: the first
/// matching row. Severe mental disorder and tuberculosis come first, as the
/// most demanding protocols (risk assessment and police liaison; supervised
/// medication of an infectious disease); then the life stages whose care is
/// time-bound (pregnancy, early childhood); then diabetes before hypertension,
/// because the diabetes follow-up measures blood pressure too; then old age.
/// Everyone else gets the general-population package.
pub const PRECEDENCE: [(PopulationTags, &str); 7] = [
    (PopulationTags::SEVERE_MENTAL_DISORDER, MENTAL),
    (PopulationTags::TUBERCULOSIS, TUBERCULOSIS),
    (PopulationTags::MATERNAL, MATERNAL),
    (PopulationTags::CHILD, CHILD),
    (PopulationTags::DIABETES, DIABETES),
    (PopulationTags::HYPERTENSION, HYPERTENSION),
    (PopulationTags::ELDERLY, ELDERLY),
];

/// Diagnoses that keep a resident out of the healthy-population package.
const DIAGNOSED: PopulationTags = PopulationTags::HYPERTENSION
    .union(PopulationTags::DIABETES)
    .union(PopulationTags::TUBERCULOSIS)
    .union(PopulationTags::SEVERE_MENTAL_DISORDER)
    .union(PopulationTags::COPD)
    .union(PopulationTags::STROKE)
    .union(PopulationTags::TUMOUR);

const fn basic(
    code: &'static str,
    name: &'static str,
    target_groups: PopulationTags,
    items: &'static [ItemSpec],
) -> PackageSpec {
    PackageSpec {
        code,
        name,
        kind: PackageKind::Basic,
        target_groups,
        excluded: PopulationTags::empty(),
        bundled_with: None,
        items,
    }
}

const fn paid(
    code: &'static str,
    name: &'static str,
    target_groups: PopulationTags,
    bundled_with: &'static str,
    items: &'static [ItemSpec],
) -> PackageSpec {
    PackageSpec {
        code,
        name,
        kind: PackageKind::Personalised,
        target_groups,
        excluded: PopulationTags::empty(),
        bundled_with: Some(bundled_with),
        items,
    }
}

/// The items every basic package owes: the plan's yearly checkup and
/// health assessment for each signed resident.
const CHECKUP: ItemSpec = item("health-checkup", "健康体检", 1);
const ASSESSMENT: ItemSpec = item("health-assessment", "健康评估", 1);

pub static CATALOGUE: &[PackageSpec] = &[
    basic(
        CHILD,
        "0–6岁儿童基础服务包",
        PopulationTags::CHILD,
        &[CHECKUP, ASSESSMENT, item("child-health-check", "儿童健康检查", 2), item("tcm-child", "中医药健康指导", 2)],
    ),
    basic(
        MATERNAL,
        "孕产妇基础服务包",
        PopulationTags::MATERNAL,
        &[
            CHECKUP,
            ASSESSMENT,
            item("prenatal-care", "孕期健康管理", 5),
            item("postpartum-visit", "产后访视", 1),
            item("postpartum-check", "产后42天健康检查", 1),
        ],
    ),
    basic(
        ELDERLY,
        "老年人基础服务包",
        PopulationTags::ELDERLY,
        &[
            CHECKUP,
            ASSESSMENT,
            item("self-care-assessment", "生活自理能力评估", 1),
            item("tcm-health-management", "中医药健康管理", 1),
        ],
    ),
    basic(
        HYPERTENSION,
        "高血压患者基础服务包",
        PopulationTags::HYPERTENSION,
        &[CHECKUP, ASSESSMENT, item("follow-up", "面对面随访", 4), item("blood-pressure", "血压测量", 4)],
    ),
    basic(
        DIABETES,
        "2型糖尿病患者基础服务包",
        PopulationTags::DIABETES,
        &[CHECKUP, ASSESSMENT, item("fasting-glucose", "空腹血糖检测", 4), item("follow-up", "面对面随访", 4)],
    ),
    basic(
        MENTAL,
        "严重精神障碍患者基础服务包",
        PopulationTags::SEVERE_MENTAL_DISORDER,
        &[CHECKUP, ASSESSMENT, item("follow-up", "随访", 4), item("risk-assessment", "危险性评估", 4)],
    ),
    basic(
        TUBERCULOSIS,
        "肺结核患者基础服务包",
        PopulationTags::TUBERCULOSIS,
        &[
            CHECKUP,
            ASSESSMENT,
            item("home-visit", "入户访视", 1),
            item("supervised-medication", "督导服药随访", 6),
            item("closing-assessment", "结案评估", 1),
        ],
    ),
    basic(
        GENERAL,
        "一般人群基础服务包",
        PopulationTags::empty(),
        &[CHECKUP, ASSESSMENT, item("health-record", "健康档案", 1)],
    ),
    paid(
        "AH-GX-LN",
        "65岁以上老年人服务包",
        PopulationTags::ELDERLY,
        ELDERLY,
        &[
            item("extended-checkup", "增项体检(血脂、肝肾功能、心电图)", 1),
            item("home-visit", "上门服务", 2),
            item("tcm-therapy", "中医适宜技术", 4),
        ],
    ),
    paid(
        "AH-GX-GXY",
        "高血压人群服务包",
        PopulationTags::HYPERTENSION,
        HYPERTENSION,
        &[item("blood-lipid", "血脂检测", 1), item("ecg", "心电图", 1), item("medication-guidance", "用药指导", 4)],
    ),
    paid(
        "AH-GX-TNB",
        "糖尿病人群服务包",
        PopulationTags::DIABETES,
        DIABETES,
        &[item("hba1c", "糖化血红蛋白检测", 2), item("fundus-exam", "眼底检查", 1), item("foot-exam", "足部检查", 2)],
    ),
    PackageSpec {
        // High risk has no tag of its own: anyone of the general population
        // may sign, but not a confirmed hypertension or diabetes patient.
        excluded: PopulationTags::HYPERTENSION.union(PopulationTags::DIABETES),
        ..paid(
            "AH-GX-GW",
            "慢病高危人群服务包",
            PopulationTags::empty(),
            GENERAL,
            &[
                item("fasting-glucose", "空腹血糖检测", 1),
                item("blood-lipid", "血脂检测", 1),
                item("lifestyle-intervention", "生活方式干预指导", 2),
            ],
        )
    },
    paid(
        "AH-GX-MZF",
        "慢阻肺人群服务包",
        PopulationTags::COPD,
        GENERAL,
        &[item("lung-function", "肺功能检查", 1), item("inhaler-guidance", "吸入药物指导", 4)],
    ),
    paid(
        "AH-GX-ZL",
        "肿瘤人群服务包",
        PopulationTags::TUMOUR,
        GENERAL,
        &[
            item("rehabilitation-guidance", "康复指导", 4),
            item("home-visit", "上门服务", 2),
            item("nutrition-guidance", "营养指导", 1),
        ],
    ),
    paid(
        "AH-GX-NCZ",
        "脑卒中人群服务包",
        PopulationTags::STROKE,
        GENERAL,
        &[item("rehabilitation-guidance", "康复训练指导", 12), item("home-visit", "上门服务", 4)],
    ),
    paid(
        "AH-GX-JS",
        "精神疾病人群服务包",
        PopulationTags::SEVERE_MENTAL_DISORDER,
        MENTAL,
        &[item("medication-supervision", "服药指导", 4), item("psychological-counselling", "心理疏导", 4)],
    ),
    // Rheumatism has no WIT tag: the plugin cannot check the diagnosis, so
    // the package is open to the general population and the doctor decides.
    paid(
        "AH-GX-FS",
        "风湿病人群服务包",
        PopulationTags::empty(),
        GENERAL,
        &[item("joint-assessment", "关节功能评估", 2), item("tcm-therapy", "中医适宜技术", 6)],
    ),
    paid(
        "AH-GX-CH",
        "产后修复护理服务包",
        PopulationTags::MATERNAL,
        MATERNAL,
        &[
            item("pelvic-floor-assessment", "盆底功能评估", 1),
            item("postpartum-rehabilitation", "产后康复指导", 4),
            item("breastfeeding-guidance", "母乳喂养指导", 2),
        ],
    ),
    PackageSpec {
        excluded: DIAGNOSED,
        ..paid(
            "AH-GX-JK",
            "健康人群服务包",
            PopulationTags::empty(),
            GENERAL,
            &[item("extended-checkup", "增项体检", 1), item("health-consultation", "健康咨询", 4)],
        )
    },
];

pub fn find(code: &str) -> Option<&'static PackageSpec> {
    CATALOGUE.iter().find(|package| package.code == code)
}

pub fn known(code: &str) -> Result<&'static PackageSpec, Refusal> {
    find(code).ok_or_else(|| Refusal::UnknownPackage(code.to_string()))
}

fn name_of(code: &str) -> &'static str {
    find(code).map_or("", |package| package.name)
}

/// The catalogue with the configured list prices.
pub fn packages(config: &Config) -> Vec<Package> {
    CATALOGUE
        .iter()
        .map(|spec| Package {
            code: spec.code.to_string(),
            name: spec.name.to_string(),
            kind: spec.kind,
            target_groups: spec.target_groups,
            bundled_with: spec.bundled_with.map(str::to_string),
            items: spec
                .items
                .iter()
                .map(|i| Item {
                    code: i.code.to_string(),
                    name: i.name.to_string(),
                    times_per_year: i.times_per_year,
                    price_cap: None,
                })
                .collect(),
            list_price: config.list_price(spec.code),
        })
        .collect()
}

/// The basic package of the resident's group, by [`PRECEDENCE`]. Never
/// missing: a resident of no group gets the general-population package.
pub fn basic_code(resident: &ResidentFacts) -> &'static str {
    PRECEDENCE.iter().find(|(tag, _)| resident.tags.contains(*tag)).map_or(GENERAL, |(_, code)| code)
}

/// The basic package a resident must get (不得漏选或错选).
pub fn basic_package(resident: &ResidentFacts) -> Result<String, Refusal> {
    check_resident(resident)?;
    Ok(basic_code(resident).to_string())
}

/// May this resident sign this package? A basic package only if it is the
/// resident's; a paid one if the resident is in its group, has none of its
/// excluded diagnoses, and has its basic package, because the kernel signs a
/// paid package only beside the basic package it is bundled with.
pub fn eligible(code: &str, resident: &ResidentFacts) -> Result<&'static PackageSpec, Refusal> {
    let package = known(code)?;
    check_resident(resident)?;
    let own_basic = basic_code(resident);
    let not_eligible = |reason: String| Err(Refusal::NotEligible(reason));
    let Some(bundled) = package.bundled_with else {
        if package.code == own_basic {
            return Ok(package);
        }
        return not_eligible(format!(
            "居民的基础服务包应为{}{own_basic}，不是{} (the resident's basic package is {own_basic}, not {})",
            name_of(own_basic),
            package.code,
            package.code
        ));
    };
    let groups = package.target_groups;
    if !groups.is_empty() && !groups.intersects(resident.tags) {
        let (zh, en) = tag_names(groups);
        return not_eligible(format!(
            "{}仅面向{zh} ({} is only for residents tagged {en})",
            package.name, package.code
        ));
    }
    if package.excluded.intersects(resident.tags) {
        let (zh, en) = tag_names(package.excluded & resident.tags);
        return not_eligible(format!(
            "{}不面向已确诊的{zh} ({} is not for residents tagged {en})",
            package.name, package.code
        ));
    }
    if bundled != own_basic {
        return not_eligible(format!(
            "{}与{}{bundled}捆绑，居民的基础服务包为{}{own_basic} ({} is bundled with {bundled}; the resident's basic package is {own_basic})",
            package.name,
            name_of(bundled),
            name_of(own_basic),
            package.code
        ));
    }
    Ok(package)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qianyue::county::types::Sex;

    fn resident(age: u8, tags: PopulationTags) -> ResidentFacts {
        ResidentFacts { age, sex: Sex::Female, tags }
    }

    fn adult(tags: PopulationTags) -> ResidentFacts {
        resident(40, tags)
    }

    #[test]
    fn eight_basic_and_eleven_paid_packages_with_unique_codes() {
        let basic = CATALOGUE.iter().filter(|p| p.kind == PackageKind::Basic).count();
        let paid = CATALOGUE.iter().filter(|p| p.kind == PackageKind::Personalised).count();
        assert_eq!((basic, paid), (8, 11));
        for (i, a) in CATALOGUE.iter().enumerate() {
            assert!(a.code.starts_with("AH-"), "{}", a.code);
            assert!(CATALOGUE[i + 1..].iter().all(|b| b.code != a.code), "{}", a.code);
            for (j, x) in a.items.iter().enumerate() {
                assert!(x.times_per_year > 0);
                assert!(a.items[j + 1..].iter().all(|y| y.code != x.code), "{} {}", a.code, x.code);
            }
        }
    }

    #[test]
    fn paid_packages_are_bundled_with_a_basic_package() {
        for package in CATALOGUE {
            match (package.kind, package.bundled_with) {
                (PackageKind::Basic, None) => {}
                (PackageKind::Personalised, Some(basic)) => {
                    assert!(matches!(find(basic), Some(b) if b.kind == PackageKind::Basic), "{}", package.code);
                }
                _ => panic!("{}", package.code),
            }
        }
    }

    #[test]
    fn every_basic_package_has_the_yearly_checkup_and_assessment() {
        for package in CATALOGUE.iter().filter(|p| p.kind == PackageKind::Basic) {
            let codes: Vec<_> = package.items.iter().map(|i| (i.code, i.times_per_year)).collect();
            assert!(codes.contains(&("health-checkup", 1)), "{}", package.code);
            assert!(codes.contains(&("health-assessment", 1)), "{}", package.code);
        }
    }

    #[test]
    fn chronic_protocols_are_as_the_national_rules_say() {
        let times = |code: &str, item: &str| {
            known(code).ok().and_then(|p| p.items.iter().find(|i| i.code == item)).map(|i| i.times_per_year)
        };
        assert_eq!(times(DIABETES, "fasting-glucose"), Some(4));
        assert_eq!(times(DIABETES, "follow-up"), Some(4));
        assert_eq!(times(MENTAL, "follow-up"), Some(4));
        assert_eq!(times(MENTAL, "risk-assessment"), Some(4));
    }

    #[test]
    fn each_group_gets_its_basic_package() {
        let cases = [
            (resident(3, PopulationTags::CHILD), CHILD),
            (adult(PopulationTags::MATERNAL), MATERNAL),
            (resident(70, PopulationTags::ELDERLY), ELDERLY),
            (adult(PopulationTags::HYPERTENSION), HYPERTENSION),
            (adult(PopulationTags::DIABETES), DIABETES),
            (adult(PopulationTags::SEVERE_MENTAL_DISORDER), MENTAL),
            (adult(PopulationTags::TUBERCULOSIS), TUBERCULOSIS),
            (adult(PopulationTags::empty()), GENERAL),
            (adult(PopulationTags::COPD | PopulationTags::DISABLED | PopulationTags::REGISTERED_POOR), GENERAL),
        ];
        for (r, code) in cases {
            assert_eq!(basic_package(&r), Ok(code.to_string()), "{r:?}");
        }
    }

    #[test]
    fn precedence_decides_between_groups() {
        let elderly = |tags| resident(70, PopulationTags::ELDERLY | tags);
        assert_eq!(basic_code(&elderly(PopulationTags::HYPERTENSION)), HYPERTENSION);
        assert_eq!(basic_code(&elderly(PopulationTags::HYPERTENSION | PopulationTags::DIABETES)), DIABETES);
        assert_eq!(basic_code(&elderly(PopulationTags::DIABETES | PopulationTags::TUBERCULOSIS)), TUBERCULOSIS);
        assert_eq!(basic_code(&elderly(PopulationTags::TUBERCULOSIS | PopulationTags::SEVERE_MENTAL_DISORDER)), MENTAL);
        assert_eq!(basic_code(&adult(PopulationTags::MATERNAL | PopulationTags::DIABETES)), MATERNAL);
        assert_eq!(basic_code(&resident(5, PopulationTags::CHILD | PopulationTags::TUBERCULOSIS)), TUBERCULOSIS);
        // Every resident gets exactly the package the precedence names, and
        // may sign it and no other basic package.
        let everything = PopulationTags::all() - PopulationTags::CHILD;
        let r = resident(80, everything);
        assert_eq!(basic_code(&r), MENTAL);
        for package in CATALOGUE.iter().filter(|p| p.kind == PackageKind::Basic) {
            assert_eq!(eligible(package.code, &r).is_ok(), package.code == MENTAL, "{}", package.code);
        }
    }

    #[test]
    fn paid_packages_need_the_group_and_the_bundled_basic_package() {
        assert!(eligible("AH-GX-LN", &resident(70, PopulationTags::ELDERLY)).is_ok());
        assert!(eligible("AH-GX-GXY", &resident(70, PopulationTags::ELDERLY | PopulationTags::HYPERTENSION)).is_ok());
        assert!(eligible("AH-GX-MZF", &adult(PopulationTags::COPD)).is_ok());
        assert!(eligible("AH-GX-FS", &adult(PopulationTags::empty())).is_ok());
        assert!(eligible("AH-GX-GW", &adult(PopulationTags::DISABLED)).is_ok());
        assert!(eligible("AH-GX-CH", &adult(PopulationTags::MATERNAL)).is_ok());
        // The group is missing.
        assert!(matches!(eligible("AH-GX-NCZ", &adult(PopulationTags::empty())), Err(Refusal::NotEligible(_))));
        // A hypertensive elderly resident's basic package is the hypertension
        // one, so the elderly paid package cannot be bundled with it.
        let refusal = eligible("AH-GX-LN", &resident(70, PopulationTags::ELDERLY | PopulationTags::HYPERTENSION));
        assert_eq!(
            refusal.map(|p| p.code),
            Err(Refusal::NotEligible(
                "65岁以上老年人服务包与老年人基础服务包AH-JC-LN捆绑，居民的基础服务包为高血压患者基础服务包AH-JC-GXY (AH-GX-LN is bundled with AH-JC-LN; the resident's basic package is AH-JC-GXY)".into()
            ))
        );
        // Diagnosed patients are not the healthy population.
        assert_eq!(
            eligible("AH-GX-JK", &adult(PopulationTags::COPD | PopulationTags::TUMOUR)).map(|p| p.code),
            Err(Refusal::NotEligible(
                "健康人群服务包不面向已确诊的慢阻肺患者、肿瘤患者 (AH-GX-JK is not for residents tagged copd, tumour)"
                    .into()
            ))
        );
        assert!(matches!(eligible("AH-GX-GW", &adult(PopulationTags::DIABETES)), Err(Refusal::NotEligible(_))));
    }

    #[test]
    fn unknown_codes_and_contradictory_residents_are_refused() {
        assert_eq!(
            eligible("AH-XX", &adult(PopulationTags::empty())).map(|_| ()),
            Err(Refusal::UnknownPackage("AH-XX".into()))
        );
        assert!(matches!(eligible(GENERAL, &resident(70, PopulationTags::empty())), Err(Refusal::InvalidRequest(_))));
        assert!(matches!(basic_package(&resident(70, PopulationTags::empty())), Err(Refusal::InvalidRequest(_))));
        let man = ResidentFacts { age: 30, sex: Sex::Male, tags: PopulationTags::MATERNAL };
        assert!(matches!(basic_package(&man), Err(Refusal::InvalidRequest(_))));
    }
}
