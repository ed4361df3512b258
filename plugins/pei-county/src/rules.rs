//! Pei County's catalogue and pricing rules, free of any WebAssembly glue so
//! that they can be tested natively with `cargo test`.
//!
//! Sources: the county's family-doctor contract documents fix the checkup
//! package at 40% of list price (体检包四折) and the child-care package at 60%
//! for kindergarten children (入园儿童六折), and put the whole 10-yuan
//! per-capita basic public-health subsidy into the public-health package.
//! They do not give the personalised packages' approved prices: those below
//! are this plugin's defaults.

/// Who this plugin is.
pub struct Info {
    pub county_code: &'static str,
    pub county_name: &'static str,
    pub version: &'static str,
}

pub const INFO: Info = Info {
    county_code: "320322",
    county_name: "沛县",
    version: "2016.1.0",
};

/// A population tag, one per flag of the WIT `population-tags`, so that the
/// glue converts without losing any tag a future rule might need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Elderly,
    Child,
    Kindergarten,
    Maternal,
    Hypertension,
    Diabetes,
    Tuberculosis,
    SevereMentalDisorder,
    Disabled,
    Copd,
    Stroke,
    Tumour,
    RegisteredPoor,
    LiftedOutOfPoverty,
    PovertyMonitoring,
    SpecialFamilyPlanning,
}

impl Tag {
    pub const ALL: [Tag; 16] = [
        Tag::Elderly,
        Tag::Child,
        Tag::Kindergarten,
        Tag::Maternal,
        Tag::Hypertension,
        Tag::Diabetes,
        Tag::Tuberculosis,
        Tag::SevereMentalDisorder,
        Tag::Disabled,
        Tag::Copd,
        Tag::Stroke,
        Tag::Tumour,
        Tag::RegisteredPoor,
        Tag::LiftedOutOfPoverty,
        Tag::PovertyMonitoring,
        Tag::SpecialFamilyPlanning,
    ];

    const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    fn zh(self) -> &'static str {
        match self {
            Tag::Elderly => "65岁及以上老年人",
            Tag::Child => "0–6岁儿童",
            Tag::Kindergarten => "入园儿童",
            Tag::Maternal => "孕产妇",
            Tag::Hypertension => "高血压患者",
            Tag::Diabetes => "2型糖尿病患者",
            Tag::Tuberculosis => "肺结核患者",
            Tag::SevereMentalDisorder => "严重精神障碍患者",
            Tag::Disabled => "残疾人",
            Tag::Copd => "慢阻肺患者",
            Tag::Stroke => "脑卒中患者",
            Tag::Tumour => "肿瘤患者",
            Tag::RegisteredPoor => "建档立卡贫困人口",
            Tag::LiftedOutOfPoverty => "脱贫户",
            Tag::PovertyMonitoring => "监测户",
            Tag::SpecialFamilyPlanning => "计生特殊家庭",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Tag::Elderly => "elderly",
            Tag::Child => "child",
            Tag::Kindergarten => "kindergarten",
            Tag::Maternal => "maternal",
            Tag::Hypertension => "hypertension",
            Tag::Diabetes => "diabetes",
            Tag::Tuberculosis => "tuberculosis",
            Tag::SevereMentalDisorder => "severe-mental-disorder",
            Tag::Disabled => "disabled",
            Tag::Copd => "copd",
            Tag::Stroke => "stroke",
            Tag::Tumour => "tumour",
            Tag::RegisteredPoor => "registered-poor",
            Tag::LiftedOutOfPoverty => "lifted-out-of-poverty",
            Tag::PovertyMonitoring => "poverty-monitoring",
            Tag::SpecialFamilyPlanning => "special-family-planning",
        }
    }
}

/// A set of population tags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tags(u32);

impl Tags {
    pub const EMPTY: Tags = Tags(0);

    /// `const` so that the catalogue can be a static table.
    pub const fn of(tags: &[Tag]) -> Tags {
        let mut bits = 0;
        let mut i = 0;
        while i < tags.len() {
            bits |= tags[i].bit();
            i += 1;
        }
        Tags(bits)
    }

    pub fn with(self, tag: Tag) -> Tags {
        Tags(self.0 | tag.bit())
    }

    pub fn contains(self, tag: Tag) -> bool {
        self.0 & tag.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn intersects(self, other: Tags) -> bool {
        self.0 & other.0 != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Tag> {
        Tag::ALL.into_iter().filter(move |tag| self.contains(*tag))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Basic,
    Personalised,
}

pub struct Item {
    pub code: &'static str,
    pub name: &'static str,
    pub times_per_year: u32,
}

pub struct Package {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    pub target_groups: Tags,
    pub bundled_with: Option<&'static str>,
    pub items: &'static [Item],
    /// Approved list price in fen.
    pub list_price: i64,
}

const fn item(code: &'static str, name: &'static str, times_per_year: u32) -> Item {
    Item {
        code,
        name,
        times_per_year,
    }
}

const fn personalised(
    code: &'static str,
    name: &'static str,
    target_groups: Tags,
    items: &'static [Item],
    list_price: i64,
) -> Package {
    Package {
        code,
        name,
        kind: Kind::Personalised,
        target_groups,
        bundled_with: Some(BASIC),
        items,
        list_price,
    }
}

const BASIC: &str = "PEI-GW";
const CHECKUP: &str = "PEI-TJ";
const CHILD_CARE: &str = "PEI-ET";

/// Checkup package at 40% of list price (体检包四折), from the county's documents.
const CHECKUP_PERCENT: i64 = 40;
/// Child-care package at 60% for kindergarten children (入园儿童六折), from the
/// county's documents.
const KINDERGARTEN_PERCENT: i64 = 60;

/// Pei's packages. Only the basic package's 1000 fen comes from the source (the
/// 10-yuan per-capita public-health subsidy the county puts wholly into
/// signing work); every personalised list price is a default of this plugin,
/// because the documents do not state the approved prices.
pub static CATALOGUE: &[Package] = &[
    Package {
        code: BASIC,
        name: "公卫包",
        kind: Kind::Basic,
        target_groups: Tags::EMPTY,
        bundled_with: None,
        items: &[
            item("health-record", "健康档案", 1),
            item("health-assessment", "健康评估", 1),
            item("health-education", "健康教育", 4),
            item("tcm-health-management", "中医药健康管理", 1),
        ],
        list_price: 1000,
    },
    personalised(
        "PEI-YY",
        "优孕优育包",
        Tags::of(&[Tag::Maternal]),
        &[
            item("prenatal-check", "产前检查", 5),
            item("postpartum-visit", "产后访视", 2),
        ],
        12000,
    ),
    personalised(
        CHILD_CARE,
        "儿童保健包",
        Tags::of(&[Tag::Child]),
        &[
            item("child-health-check", "儿童健康检查", 4),
            item("growth-assessment", "生长发育评估", 2),
        ],
        10000,
    ),
    personalised(
        "PEI-LN",
        "老年保健包",
        Tags::of(&[Tag::Elderly]),
        &[
            item("elderly-checkup", "老年人健康体检", 1),
            item("follow-up", "面对面随访", 4),
        ],
        12000,
    ),
    personalised(
        "PEI-MB",
        "慢病服务包",
        Tags::of(&[
            Tag::Hypertension,
            Tag::Diabetes,
            Tag::Copd,
            Tag::Stroke,
            Tag::Tumour,
        ]),
        &[
            item("fasting-glucose", "空腹血糖检测", 4),
            item("blood-pressure", "血压测量", 4),
            item("follow-up", "面对面随访", 4),
        ],
        15000,
    ),
    personalised(
        CHECKUP,
        "健康体检包",
        Tags::EMPTY,
        &[item("checkup", "健康体检", 1)],
        20000,
    ),
    personalised(
        "PEI-TX",
        "特需服务包",
        Tags::EMPTY,
        &[
            item("home-visit", "上门服务", 4),
            item("specialist-appointment", "预约专家门诊", 2),
        ],
        30000,
    ),
    personalised(
        "PEI-NZ",
        "脑卒中康复包",
        Tags::of(&[Tag::Stroke]),
        &[
            item("rehabilitation-guidance", "康复训练指导", 12),
            item("home-follow-up", "上门随访", 4),
        ],
        36000,
    ),
];

pub fn find(code: &str) -> Option<&'static Package> {
    CATALOGUE.iter().find(|package| package.code == code)
}

/// Pei prices on tags alone: the kernel has already turned age into the
/// `elderly` and `child` tags, so age and sex are not carried here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceRequest {
    pub package_code: String,
    pub tags: Tags,
    pub list_price: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub discount: i64,
    pub public_health_fund: i64,
    pub insurance_fund: i64,
    pub self_pay: i64,
    pub rule: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PricingError {
    UnknownPackage(String),
    NotEligible(String),
    InvalidRequest(String),
}

/// Half up to the fen, as the WIT prescribes; `None` on overflow so that an
/// absurd list price is refused rather than wrapped.
fn percent_of(amount: i64, percent: i64) -> Option<i64> {
    amount
        .checked_mul(percent)?
        .checked_add(50)
        .map(|x| x / 100)
}

fn self_paid(list_price: i64, price: i64, rule: String) -> Quote {
    Quote {
        discount: list_price - price,
        public_health_fund: 0,
        insurance_fund: 0,
        self_pay: price,
        rule,
    }
}

fn discounted(list_price: i64, percent: i64, label: &str) -> Result<Quote, PricingError> {
    let price = percent_of(list_price, percent).ok_or_else(|| {
        PricingError::InvalidRequest(format!("标价过大 (list price too large): {list_price}"))
    })?;
    Ok(self_paid(
        list_price,
        price,
        format!("{label}: {list_price} × {percent}% = {price}"),
    ))
}

fn not_eligible(package: &Package) -> PricingError {
    let zh: Vec<&str> = package.target_groups.iter().map(Tag::zh).collect();
    let en: Vec<&str> = package.target_groups.iter().map(Tag::en).collect();
    PricingError::NotEligible(format!(
        "{}仅面向{} ({} is only for residents tagged {})",
        package.name,
        zh.join("、"),
        package.code,
        en.join(", "),
    ))
}

/// Price one package for one resident.
pub fn price(request: &PriceRequest) -> Result<Quote, PricingError> {
    let package = find(&request.package_code)
        .ok_or_else(|| PricingError::UnknownPackage(request.package_code.clone()))?;
    let list = request.list_price;
    if list < 0 {
        return Err(PricingError::InvalidRequest(format!(
            "标价不能为负 (list price must not be negative): {list}"
        )));
    }
    if !package.target_groups.is_empty() && !package.target_groups.intersects(request.tags) {
        return Err(not_eligible(package));
    }
    match package.code {
        BASIC => Ok(Quote {
            discount: 0,
            public_health_fund: list,
            insurance_fund: 0,
            self_pay: 0,
            rule: format!("公卫包由基本公共卫生服务经费全额支付: {list}"),
        }),
        CHECKUP => discounted(list, CHECKUP_PERCENT, "体检包四折"),
        CHILD_CARE if request.tags.contains(Tag::Kindergarten) => {
            discounted(list, KINDERGARTEN_PERCENT, "入园儿童儿童保健包六折")
        }
        _ => Ok(self_paid(
            list,
            list,
            format!("{}原价, 个人自付: {list}", package.name),
        )),
    }
}

/// Price many requests, each exactly as [`price`] would.
pub fn price_batch(requests: &[PriceRequest]) -> Vec<Result<Quote, PricingError>> {
    requests.iter().map(price).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(code: &str, tags: &[Tag], list_price: i64) -> PriceRequest {
        PriceRequest {
            package_code: code.to_string(),
            tags: Tags::of(tags),
            list_price,
        }
    }

    fn quote(code: &str, tags: &[Tag], list_price: i64) -> Quote {
        match price(&request(code, tags, list_price)) {
            Ok(quote) => quote,
            Err(error) => panic!("{code} for {tags:?} at {list_price}: {error:?}"),
        }
    }

    fn assert_split(quote: &Quote, list_price: i64) {
        assert!(quote.discount >= 0, "{quote:?}");
        assert!(quote.public_health_fund >= 0, "{quote:?}");
        assert!(quote.insurance_fund >= 0, "{quote:?}");
        assert!(quote.self_pay >= 0, "{quote:?}");
        assert_eq!(
            quote.public_health_fund + quote.insurance_fund + quote.self_pay,
            list_price - quote.discount,
            "{quote:?}"
        );
    }

    /// Tags that make a resident eligible for the package: one of its targets.
    fn eligible_tags(package: &Package) -> Vec<Tag> {
        package.target_groups.iter().take(1).collect()
    }

    #[test]
    fn info_names_pei() {
        assert_eq!(INFO.county_code, "320322");
        assert_eq!(INFO.county_name, "沛县");
        assert_eq!(INFO.version, "2016.1.0");
    }

    #[test]
    fn percent_rounds_half_up_to_the_fen() {
        assert_eq!(percent_of(1005, 40), Some(402));
        assert_eq!(percent_of(1005, 60), Some(603));
        assert_eq!(percent_of(1, 40), Some(0));
        assert_eq!(percent_of(1, 60), Some(1));
        assert_eq!(percent_of(5, 10), Some(1));
        assert_eq!(percent_of(0, 60), Some(0));
        assert_eq!(percent_of(i64::MAX, 40), None);
    }

    #[test]
    fn basic_package_is_paid_by_public_health_fund() {
        let q = quote("PEI-GW", &[], 1000);
        assert_eq!(
            (
                q.discount,
                q.public_health_fund,
                q.insurance_fund,
                q.self_pay
            ),
            (0, 1000, 0, 0)
        );
        assert!(q.rule.contains("1000"), "{}", q.rule);
    }

    #[test]
    fn checkup_package_is_forty_percent() {
        let q = quote("PEI-TJ", &[], 20000);
        assert_eq!(
            (
                q.discount,
                q.public_health_fund,
                q.insurance_fund,
                q.self_pay
            ),
            (12000, 0, 0, 8000)
        );
        assert_eq!(q.rule, "体检包四折: 20000 × 40% = 8000");
    }

    #[test]
    fn checkup_package_rounds_half_up() {
        let q = quote("PEI-TJ", &[], 1005);
        assert_eq!((q.self_pay, q.discount), (402, 603));
        let q = quote("PEI-TJ", &[], 1);
        assert_eq!((q.self_pay, q.discount), (0, 1));
    }

    #[test]
    fn child_care_is_sixty_percent_for_kindergarten_children() {
        let q = quote("PEI-ET", &[Tag::Child, Tag::Kindergarten], 10000);
        assert_eq!(
            (
                q.discount,
                q.public_health_fund,
                q.insurance_fund,
                q.self_pay
            ),
            (4000, 0, 0, 6000)
        );
        assert_eq!(q.rule, "入园儿童儿童保健包六折: 10000 × 60% = 6000");
    }

    #[test]
    fn child_care_rounds_half_up() {
        let q = quote("PEI-ET", &[Tag::Child, Tag::Kindergarten], 1005);
        assert_eq!((q.self_pay, q.discount), (603, 402));
        let q = quote("PEI-ET", &[Tag::Child, Tag::Kindergarten], 1);
        assert_eq!((q.self_pay, q.discount), (1, 0));
    }

    #[test]
    fn child_care_is_full_price_outside_kindergarten() {
        let q = quote("PEI-ET", &[Tag::Child], 10000);
        assert_eq!(
            (
                q.discount,
                q.public_health_fund,
                q.insurance_fund,
                q.self_pay
            ),
            (0, 0, 0, 10000)
        );
    }

    #[test]
    fn other_personalised_packages_are_full_price_self_paid() {
        for code in ["PEI-YY", "PEI-LN", "PEI-MB", "PEI-TX", "PEI-NZ"] {
            let package = find(code).unwrap_or_else(|| panic!("{code} missing"));
            let q = quote(code, &eligible_tags(package), package.list_price);
            assert_eq!(
                (
                    q.discount,
                    q.public_health_fund,
                    q.insurance_fund,
                    q.self_pay
                ),
                (0, 0, 0, package.list_price),
                "{code}"
            );
            assert!(q.rule.contains(package.name), "{}", q.rule);
        }
    }

    #[test]
    fn every_package_quote_splits_exactly() {
        let all_tags = Tags::of(&Tag::ALL);
        for package in CATALOGUE {
            for list_price in [0, 1, 5, 1005, 9999, package.list_price] {
                let q = quote(package.code, &eligible_tags(package), list_price);
                assert_split(&q, list_price);
                let q = price(&PriceRequest {
                    package_code: package.code.to_string(),
                    tags: all_tags,
                    list_price,
                });
                match q {
                    Ok(q) => assert_split(&q, list_price),
                    Err(error) => panic!("{}: {error:?}", package.code),
                }
            }
        }
    }

    #[test]
    fn residents_outside_the_target_groups_are_not_eligible() {
        let cases: [(&str, &[Tag]); 5] = [
            ("PEI-YY", &[Tag::Elderly]),
            ("PEI-ET", &[Tag::Kindergarten]),
            ("PEI-LN", &[Tag::Child]),
            ("PEI-MB", &[Tag::Tuberculosis, Tag::Elderly]),
            ("PEI-NZ", &[Tag::Hypertension]),
        ];
        for (code, tags) in cases {
            match price(&request(code, tags, 10000)) {
                Err(PricingError::NotEligible(reason)) => {
                    assert!(reason.contains(code), "{reason}");
                }
                other => panic!("{code} for {tags:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn not_eligible_reason_names_the_groups() {
        match price(&request("PEI-NZ", &[], 36000)) {
            Err(PricingError::NotEligible(reason)) => assert_eq!(
                reason,
                "脑卒中康复包仅面向脑卒中患者 (PEI-NZ is only for residents tagged stroke)"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn packages_for_everyone_need_no_tag() {
        for code in ["PEI-GW", "PEI-TJ", "PEI-TX"] {
            assert!(price(&request(code, &[], 100)).is_ok(), "{code}");
        }
    }

    #[test]
    fn unknown_package_is_refused() {
        assert_eq!(
            price(&request("PEI-XX", &[], 100)),
            Err(PricingError::UnknownPackage("PEI-XX".to_string()))
        );
    }

    #[test]
    fn negative_list_price_is_an_invalid_request() {
        for package in CATALOGUE {
            let answer = price(&request(package.code, &eligible_tags(package), -1));
            assert!(
                matches!(answer, Err(PricingError::InvalidRequest(_))),
                "{}: {answer:?}",
                package.code
            );
        }
    }

    #[test]
    fn overflowing_list_price_is_an_invalid_request() {
        let answer = price(&request("PEI-TJ", &[], i64::MAX));
        assert!(
            matches!(answer, Err(PricingError::InvalidRequest(_))),
            "{answer:?}"
        );
    }

    #[test]
    fn batch_answers_in_order_equal_to_single_answers() {
        let requests = vec![
            request("PEI-TJ", &[], 20000),
            request("PEI-XX", &[], 1),
            request("PEI-ET", &[Tag::Child, Tag::Kindergarten], 1005),
            request("PEI-YY", &[], 12000),
            request("PEI-GW", &[], -5),
            request("PEI-GW", &[], 1000),
            request("PEI-ET", &[Tag::Child], 10000),
        ];
        let batch = price_batch(&requests);
        let single: Vec<_> = requests.iter().map(price).collect();
        assert_eq!(batch, single);
        assert!(price_batch(&[]).is_empty());
    }

    #[test]
    fn catalogue_codes_are_unique() {
        for (i, a) in CATALOGUE.iter().enumerate() {
            for b in &CATALOGUE[i + 1..] {
                assert_ne!(a.code, b.code);
            }
            for (j, x) in a.items.iter().enumerate() {
                for y in &a.items[j + 1..] {
                    assert_ne!(x.code, y.code, "{}", a.code);
                }
            }
        }
    }

    #[test]
    fn personalised_packages_are_bundled_with_a_basic_package() {
        for package in CATALOGUE {
            match package.kind {
                Kind::Basic => assert_eq!(package.bundled_with, None, "{}", package.code),
                Kind::Personalised => {
                    let basic = package.bundled_with.and_then(find);
                    assert!(
                        matches!(basic, Some(b) if b.kind == Kind::Basic),
                        "{}",
                        package.code
                    );
                }
            }
        }
    }

    #[test]
    fn catalogue_is_as_documented() {
        let expected = [
            ("PEI-GW", 1000),
            ("PEI-YY", 12000),
            ("PEI-ET", 10000),
            ("PEI-LN", 12000),
            ("PEI-MB", 15000),
            ("PEI-TJ", 20000),
            ("PEI-TX", 30000),
            ("PEI-NZ", 36000),
        ];
        let actual: Vec<_> = CATALOGUE.iter().map(|p| (p.code, p.list_price)).collect();
        assert_eq!(actual, expected);
        for package in CATALOGUE {
            assert!(!package.items.is_empty(), "{}", package.code);
            assert!(package.items.iter().all(|i| i.times_per_year > 0));
        }
    }

    #[test]
    fn tags_round_trip() {
        let tags = Tags::EMPTY.with(Tag::Stroke).with(Tag::Child);
        assert_eq!(tags, Tags::of(&[Tag::Child, Tag::Stroke]));
        assert_eq!(tags.iter().collect::<Vec<_>>(), [Tag::Child, Tag::Stroke]);
        assert_eq!(Tags::of(&Tag::ALL).iter().count(), 16);
    }
}
