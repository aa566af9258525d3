//! The scripted path of each of the 22 templates, written out per template on purpose.

use tessera::engine::EngineError;

use crate::common::engine::GENERIC_RETRY as RETRY;
use crate::walker::{CHOICE, OPENAI_SKIPPED, SMTP_SKIPPED, Walk, step, walk, walk_from};

/// One scripted path per template (replies from Typebot's recorded transcripts), plus the
/// extra paths that reach the integrations this server cannot run.
#[rustfmt::skip]
pub fn template_walks() -> Vec<Walk> {
    vec![
        walk("audio-chat-gpt", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("basic-chat-gpt", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("chat-gpt-personas", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("customer-support", vec![
            step(None, "Hey friend 👋", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("I have a feature request ✨"), "Awesome!", Some(("choice input", "cl16lb3b300092e6dh4h01vxw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl16lb3b300092e6dh4h01vxw"))),
            step(Some("Restart"), "Hey friend 👋", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("There is a bug 🐛"), "Shoot! 🤪", Some(("text input", "s3LYyyYtjdQ88jkMMV5DSW7"))),
            step(Some("John"), "On which email can I contact you?", Some(("email input", "s5Fh7zHUw3j4zDM5xjzwsXB"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "s5Fh7zHUw3j4zDM5xjzwsXB"))),
            step(Some("john@example.com"), "Thank you so much for your submission 💙", Some(("choice input", "s4JATFkBxzmcqqEKQB2xFfa"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s4JATFkBxzmcqqEKQB2xFfa"))),
            step(Some("Restart"), "Hey friend 👋", Some(("choice input", "s6kp2Z4igeY3kL7B64qBdUg"))),
            step(Some("I have a question 💭"), "First, don't forget to check out the Documentation 🙏", Some(("text input", "sjd4qACugMarB7gJC8nMhb3"))),
        ]),
        walk("digital-product-payment", vec![
            step(None, "Hi there 👋", Some(("text input", "cl3u45f0n000a2e6gci2xgmph"))),
            step(Some("John"), "Cool, nice to meet you John", Some(("choice input", "cl3u4id67000l2e6gahw4v1ny"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl3u4id67000l2e6gahw4v1ny"))),
            step(Some("Hell yes!"), "That's awesome!", Some(("email input", "cl3u4l2et000z2e6gjlmh45jp"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "cl3u4l2et000z2e6gjlmh45jp"))),
            step(Some("john@example.com"), "You need to add your Stripe credentials in the next Payment block.", None),
        ]),
        walk("dog-insurance-offer", vec![
            step(None, "Hey 👋", Some(("choice input", "dtvbio4qytr3iojc7tq2quvy"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "dtvbio4qytr3iojc7tq2quvy"))),
            step(Some("Let's go!"), "What breed is your dog?", Some(("choice input", "f2902yy6o00fwe5h4xihrntj"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "f2902yy6o00fwe5h4xihrntj"))),
            step(Some("Crossbreed"), "Is it a male or a female?", Some(("choice input", "zuza6om08ubafgqhbadwv60i"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "zuza6om08ubafgqhbadwv60i"))),
            step(Some("♂️ Male"), "What's his name?", Some(("text input", "kxzi32ioxwqpdy9yy0ktoavu"))),
            step(Some("John"), "How cute 😊", Some(("picture choice input", "y2fcko12ha5n9zjxickaakxt"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "y2fcko12ha5n9zjxickaakxt"))),
            step(Some("Less than 1 year"), "Is he spayed or neutered", Some(("choice input", "w8l8qekmkjwdct0f73f64yke"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "w8l8qekmkjwdct0f73f64yke"))),
            step(Some("❌ No"), "Thank you for all this information.", Some(("email input", "ouu081yxvf9raf522k08vr6g"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "ouu081yxvf9raf522k08vr6g"))),
            step(Some("john@example.com"), "Perfect 👌", None),
        ]),
        walk("faq", vec![
            step(None, "Hey there 👋", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("What's Analyzr?"), "Analyzr is a simple and privacy-friendly analytics tool for your website", Some(("choice input", "cl96o55z3000x3b6ikq14g2tu"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96o55z3000x3b6ikq14g2tu"))),
            step(Some("Sounds good!"), "", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("Can I use your tool for free?"), "You can!", Some(("choice input", "cl96o6a2700153b6il1wj2aev"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96o6a2700153b6il1wj2aev"))),
            step(Some("Awesome!"), "", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("Tell me about the company"), "The company was founded in 2020 by Josh Corn", Some(("choice input", "cl96oftnv001r3b6ixen8g0bv"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl96oftnv001r3b6ixen8g0bv"))),
            step(Some("Cool!"), "", Some(("choice input", "cl96nv877000b3b6i7p69ss2o"))),
            step(Some("I have another question"), "Sure, no problem!", Some(("text input", "cl96ogmjx001y3b6iwfosloet"))),
            step(Some("John"), "Alright, we'll reach out to you very soon. Thank you so much 💙", None),
        ]),
        walk("high-ticket-lead-follow-up", vec![
            step(None, "You need to add your Mistral AI credentials to make this bot work. 🪄", None),
        ]),
        walk("lead-gen-ai", vec![
            step(None, "Hey 👋", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("Yes!"), "What company do you work for?", Some(("text input", "sqEsMo747LTDnY9FjQcEwUv"))),
            step(Some("John"), "What's the best email we can reach you at?", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("john@example.com"), "What services are you interested in?", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("Website dev, Content Marketing"), "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("lead-gen", vec![
            step(None, "Welcome to AA (Awesome Agency)", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "sbjZWLJGVkHAkDqS4JQeGow"))),
            step(Some("Hi!"), "What's your name?", Some(("text input", "sqEsMo747LTDnY9FjQcEwUv"))),
            step(Some("John"), "Great! Nice to meet you John", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "snbsad18Bgry8yZ8DZCfdFD"))),
            step(Some("john@example.com"), "What services are you interested in?", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s5VQGsVF4hQgziQsXVdwPDW"))),
            step(Some("Website dev"), "Can you tell me a bit more about your needs?", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x"))),
            step(Some("John"), "Perfect!", None),
        ]),
        walk("lead-magnet", vec![
            step(None, "Hi there! 👋", Some(("text input", "uocaxxtg26btl2zytwy09jh9"))),
            step(Some("John"), "Ok, John. What email would you like to sign up with?", Some(("email input", "nu9ibw4r4q9piwl3b308bezp"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "nu9ibw4r4q9piwl3b308bezp"))),
            step(Some("john@example.com"), "What's your goal with the community?", Some(("choice input", "wq7yofni4bqr9rt5qrzk6928"))).logs(&["No credentials found, make sure to configure your SMTP provider properly"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "wq7yofni4bqr9rt5qrzk6928"))),
            step(Some("Win loyal fans"), "Perfect, your bundle will be emailed to you right away 🚀", None),
        ]),
        walk("lead-scoring", vec![
            step(None, "Hi! 👋", Some(("choice input", "cl1ses31000222e6ebrb4wxo0"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1ses31000222e6ebrb4wxo0"))),
            step(Some("Yes"), "Which company?", Some(("text input", "cl1sezlw700282e6eozkzmed0"))),
            step(Some("John"), "How many employees is your team composed of?", Some(("number input", "cl1sf1er7002f2e6eakhc25yy"))),
            step(Some("abc"), "Invalid message. Please, try again.", Some(("number input", "cl1sf1er7002f2e6eakhc25yy"))),
            step(Some("42"), "What's your job role?", Some(("choice input", "cl1sfbbw3003t2e6e16ec9w29"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1sfbbw3003t2e6e16ec9w29"))),
            step(Some("UI/UX Designer"), "Where are you based?", Some(("text input", "cl1sf4z8n00352e6ejypaeinl"))),
            step(Some("John"), "Thank you for answering these questions", None),
        ]),
        walk("movie-recommendation", vec![
            step(None, "Welcome to our film recommendation bot 👋", Some(("choice input", "tzf45bvd8iquoxz7qgta8v94"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "tzf45bvd8iquoxz7qgta8v94"))),
            step(Some("Select a genre 💅"), "Sure!", Some(("choice input", "nwuk2clo78hmnh4d0g31u9xg"))).logs(&["Security validation failed"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "nwuk2clo78hmnh4d0g31u9xg"))),
            step(Some("Click to edit"), "Here are trending movies for the Click to edit genre", Some(("choice input", "tr5y76tx9ca336f8ob9odfa6"))).logs(&["Security validation failed"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "tr5y76tx9ca336f8ob9odfa6"))),
            step(Some("Click to edit"), "Excellent choice 🔥", Some(("choice input", "yifjhiamifo1y4ay7vols0mm"))).logs(&["Security validation failed"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "yifjhiamifo1y4ay7vols0mm"))),
            step(Some("Watch the movie"), "", None).actions(&["redirect"]),
        ]),
        walk("nps", vec![
            step(None, "Hey! 👋", Some(("choice input", "d3asw3zs2gahpxs3usun6lm5"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "d3asw3zs2gahpxs3usun6lm5"))),
            step(Some("Sure!"), "How likely will you recommend our product to a friend or colleague?", Some(("rating input", "bfvv74k8oz57kaqeqek3uen7"))),
            step(Some("99"), "Invalid message. Please, try again.", Some(("rating input", "bfvv74k8oz57kaqeqek3uen7"))),
            step(Some("8"), "Could you tell us why?", Some(("text input", "ro6a6dt7j3x99unduh5jm6an"))),
            step(Some("John"), "Thank you for taking the time to answer!", None),
        ]),
        walk("onboarding", vec![
            step(None, "Welcome 👋", Some(("text input", "cl126820m000g2e6dfleq78bt"))),
            step(Some("John"), "Welcome John 👋", Some(("choice input", "cl126jb2q000r2e6dgqlnxnt8"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl126jb2q000r2e6dgqlnxnt8"))),
            step(Some("Yes"), "", Some(("text input", "cl126jioz000v2e6dwrk1f2cb"))),
            step(Some("John"), "What type of bots are you planning to build with Typebot?", Some(("choice input", "cl126lb8v00142e6duv5qe08l"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl126lb8v00142e6duv5qe08l"))),
            step(Some("Lead qualification, Customer support"), "Thank you for answering those questions!", None),
        ]),
        walk("openai-assistant-chat", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work.", None),
        ]),
        walk("openai-conditions", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("product-recommendation", vec![
            step(None, "Let's determine what Näak's products suit you best. 💪", Some(("text input", "xobx3g928f9zj220n5qe1ih6"))),
            step(Some("John"), "Ok John", Some(("choice input", "lwtynqjykiem5zdtns3fwhu2"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "lwtynqjykiem5zdtns3fwhu2"))),
            step(Some("North America"), "What's your sport?", Some(("picture choice input", "zesp4ro7ltjmh64sn8d4912c"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "zesp4ro7ltjmh64sn8d4912c"))),
            step(Some("Running"), "Nice! 😎", Some(("choice input", "mfz600vwgfjcisahf5tdnz7l"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "mfz600vwgfjcisahf5tdnz7l"))),
            step(Some("♂️ Men"), "How can Näak help you achieve your goals?", Some(("picture choice input", "cx2v8nfb4kxvk58bbu6w85uy"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "cx2v8nfb4kxvk58bbu6w85uy"))),
            step(Some("Energy, Hydration"), "What protein source are you interested in?", Some(("choice input", "ogy9ng7q9jglxg2ivb39tzeh"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "ogy9ng7q9jglxg2ivb39tzeh"))),
            step(Some("Cricket-based, Plant-based"), "What are flavors do you enjoy?", Some(("choice input", "p71conb1ln7f3m41ca6pxetz"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "p71conb1ln7f3m41ca6pxetz"))),
            step(Some("Chocolate, Vanilla"), "Great choice 😋", Some(("choice input", "cbcz08dj67rkx8k1cbj2ybz8"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cbcz08dj67rkx8k1cbj2ybz8"))),
            step(Some("Non GMO"), "Alright John, I think we know exactly what you need.", Some(("email input", "vdzzxwdocfxdvqnqwwvjymzw"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "vdzzxwdocfxdvqnqwwvjymzw"))),
            step(Some("john@example.com"), "Let's talk about Energy. ⚡", Some(("picture choice input", "r5hq4sr8iovxqyixejparma7"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "r5hq4sr8iovxqyixejparma7"))),
            step(Some("Chocolate Energy Waffle, Vanilla Energy Waffle"), "About Hydration. 💧", Some(("picture choice input", "ph2jgb8r0lyui0j6v3jtifo2"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("picture choice input", "ph2jgb8r0lyui0j6v3jtifo2"))),
            step(Some("Watermelon Energy Drink Mix"), "", None),
        ]),
        walk("quick-carb-calculator", vec![
            step(None, "You need to add your OpenAI credentials to make this bot work. 🪄", None),
        ]),
        walk("quiz", vec![
            step(None, "Hi there!", Some(("choice input", "cl1r176e900692e6d8u3k6sdq"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r176e900692e6d8u3k6sdq"))),
            step(Some("Go!"), "What does SEO stand for?", Some(("choice input", "cl1r09dl9000j2e6dhkc2h97y"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r09dl9000j2e6dhkc2h97y"))),
            step(Some("Send Email Out"), "WRONG!", Some(("choice input", "cl1r0b3x5000r2e6dqk8gzoim"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0b3x5000r2e6dqk8gzoim"))),
            step(Some("The visible text that is hyperlinked to another page"), "Well done!", Some(("choice input", "cl1r0eril001f2e6dk0fd0qpw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0eril001f2e6dk0fd0qpw"))),
            step(Some("Your target audience"), "WRONG!", Some(("choice input", "cl1r0j8u200202e6dun2d04gu"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0j8u200202e6dun2d04gu"))),
            step(Some("Consequence To Advert"), "WRONG!", Some(("choice input", "cl1r0nt85002s2e6dloupnhdq"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "cl1r0nt85002s2e6dloupnhdq"))),
            step(Some("Yes!"), "What does SEO stand for?", Some(("choice input", "cl1r09dl9000j2e6dhkc2h97y"))),
            step(Some("Serial Editorial Output"), "WRONG!", Some(("choice input", "cl1r0b3x5000r2e6dqk8gzoim"))),
            step(Some("The text in the top left of a webpage"), "WRONG!", Some(("choice input", "cl1r0eril001f2e6dk0fd0qpw"))),
            step(Some("Someone who joins your mailing list"), "WRONG!", Some(("choice input", "cl1r0j8u200202e6dun2d04gu"))),
            step(Some("Call To Action"), "Aouch, you need to improve your Digital Marketing game.", Some(("choice input", "cl1r0nt85002s2e6dloupnhdq"))),
            step(Some("No, bye!"), "", None),
        ]),
        walk("savings-estimator", vec![
            step(None, "Hi there! Are you curious to see how much you can save by switching to reusable sponges and paper towels? 🌱", Some(("choice input", "rpf1u0bigv1v1z9x2q7m7g27"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "rpf1u0bigv1v1z9x2q7m7g27"))),
            step(Some("Yes, let's go!"), "Where do you typically use sponges in your house?", Some(("choice input", "dufhivf25jztks3a52hdyo6s"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "dufhivf25jztks3a52hdyo6s"))),
            step(Some("Kitchen - for dishes, counter, and appliances, Bathroom - for sinks, showers, and tubs"), "How often would you say that you are throwing a sponge away?", Some(("choice input", "qiayx3hjmo5ef1n3w3uxux4g"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "qiayx3hjmo5ef1n3w3uxux4g"))),
            step(Some("Once a week"), "", None),
        ]),
        walk("skin-typology", vec![
            step(None, "What’s your top skin concern?", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("Pimples"), "When do you break out?", Some(("choice input", "a0czqnu2wrlsty9isaof3mn3"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "a0czqnu2wrlsty9isaof3mn3"))),
            step(Some("Every day or most days"), "What kind of blemishes are they?", Some(("choice input", "avph27ix78gojvnf670pxvr6"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "avph27ix78gojvnf670pxvr6"))),
            step(Some("Small red or pink bumps, Red and inflamed with a whitehead"), "Do you have a second concern?", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("Visible pores"), "Do you have another concern?", Some(("choice input", "o9twf6rt9lvgv6vzue8wt8b3"))),
            step(Some("Hyperpigmentation (dark spots/marks)"), "Your pigmentation marks occur…", Some(("choice input", "zqy1p2pa6cmmj5574axlm605"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "zqy1p2pa6cmmj5574axlm605"))),
            step(Some("On areas exposed to the sun"), "Where do you have sun spots?", Some(("choice input", "tqdnlx1r3gc1rrwimbe9sexw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "tqdnlx1r3gc1rrwimbe9sexw"))),
            step(Some("I have a few, just on my face"), "Has a dermatologist diagnosed any of the following skin concerns?", Some(("choice input", "qcev9xsh8ucgngc8g04zsktk"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "qcev9xsh8ucgngc8g04zsktk"))),
            step(Some("Eczema/atopic dermatitis"), "How do you describe yourself?", Some(("choice input", "a3ucpz37jr9af6etzwrgpxwa"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "a3ucpz37jr9af6etzwrgpxwa"))),
            step(Some("A woman"), "How does your skin feel throughout the day if you haven't applied any skincare products or makeup?", Some(("choice input", "txhrcc5ii8wfidw0lj7hhvcx"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "txhrcc5ii8wfidw0lj7hhvcx"))),
            step(Some("If I don't apply a mattifying product, my skin is shiny from the middle of the day onwards"), "What do you see when you look in the mirror?", Some(("choice input", "zse327o8uf7v2vgjefzhmhzw"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "zse327o8uf7v2vgjefzhmhzw"))),
            step(Some("No wrinkles. My skin is supple and firm"), "How does your skin react to cosmetic products?", Some(("choice input", "r8p3bllvh6902cn9l6wfzjg2"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "r8p3bllvh6902cn9l6wfzjg2"))),
            step(Some("I've never had a bad reaction"), "Do you wear makeup?", Some(("choice input", "czxq9ogv5t309zwvqf06c0lh"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "czxq9ogv5t309zwvqf06c0lh"))),
            step(Some("No, never"), "Tell us about where you live.", Some(("choice input", "ffo7dzm08uapuawzp1rbe44a"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "ffo7dzm08uapuawzp1rbe44a"))),
            step(Some("There's a lot of pollution"), "Do you smoke?", Some(("choice input", "lajq4bpdwcoyjek8hy5o9hhs"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "lajq4bpdwcoyjek8hy5o9hhs"))),
            step(Some("No"), "Select the skin tone that best represents you:", Some(("choice input", "wmysi2qtw69ggq94fx5qnrog"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "wmysi2qtw69ggq94fx5qnrog"))),
            step(Some("Fair with some freckles. Doesn’t really tan, gets red in the sun"), "How often do you get strong sun exposure?", Some(("choice input", "pujmgbezgnf3xgdmpymhs565"))),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "pujmgbezgnf3xgdmpymhs565"))),
            step(Some("Almost never"), "To keep a record of your skin diagnostic result, please provide your e-mail address :", Some(("email input", "xc63yyy5eobay5msj26t4dpe"))),
            step(Some("not an email"), "This email doesn't seem to be valid. Can you type it again?", Some(("email input", "xc63yyy5eobay5msj26t4dpe"))),
            step(Some("john@example.com"), "", Some(("choice input", "s10p30kymib9np9wbs3gqwyq"))).logs(&["Could not find credentials for block openai", "No credentials found, make sure to configure your SMTP provider properly"]),
            step(Some("zzz"), "Invalid message. Please, try again.", Some(("choice input", "s10p30kymib9np9wbs3gqwyq"))),
            step(Some("Go shopping"), "", None).actions(&["redirect"]),
        ]),

        // Templates whose start event leads to an "add your credentials" note: from their real
        // first group, the AI, email and payment blocks are met and skipped (or refused).
        walk_from("audio-chat-gpt", "Intro", vec![
            step(None, "", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o")))
                .logs(&[OPENAI_SKIPPED])
                .bubbles(&["audio"]),
            step(Some("Hello there"), "", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o")))
                .logs(&[OPENAI_SKIPPED, OPENAI_SKIPPED]),
        ]),
        walk_from("basic-chat-gpt", "Intro", vec![
            step(None, "Hi there 👋", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o"))),
            step(Some("Hello"), "", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o")))
                .logs(&[OPENAI_SKIPPED]),
        ]),
        walk_from("chat-gpt-personas", "Menu", vec![
            step(None, "Who would you want to talk to?", Some((CHOICE, "ohh19koa7up0nbke3146hnjp"))),
            step(Some("Copywriter"), "Hi 👋", Some(("text input", "emii43mtihiuy35gpp6b91d8"))),
            step(Some("A slogan for a bakery"), "", Some((CHOICE, "u4jdl0gwv8965o2etxjk12w0")))
                .logs(&[OPENAI_SKIPPED]),
            step(Some("Back to menu"), "Who would you want to talk to?", Some((CHOICE, "ohh19koa7up0nbke3146hnjp"))),
        ]),
        walk_from("high-ticket-lead-follow-up", "Welcome", vec![
            step(None, "Hey there 👋", Some((CHOICE, "nq6t2hj5fnokmtjnse65hbtg"))),
            step(Some("Sure!"), "Awesome!", Some(("text input", "aaxyzry2gknzkb3n1vy19vh3"))),
            step(Some("I run a bakery"), "", Some(("text input", "aaxyzry2gknzkb3n1vy19vh3"))).logs(&[
                "Could not find credentials for block mistral",
                "Could not find credentials for block mistral",
            ]),
        ]),
        // Its legacy OpenAI block names credentials that this server does not hold.
        walk_from("lead-gen-ai", "[AI] Additional information", vec![
            step(None, "", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x")))
                .logs(&["Could not find credentials for block OpenAI"]),
            step(Some("A new website"), "", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x")))
                .logs(&["Could not find credentials for block OpenAI"]),
            step(Some("Next month"), "", Some(("text input", "sqFy2G3C1mh9p6s3QBdSS5x")))
                .logs(&["Could not find credentials for block OpenAI"]),
            // The dialogue list now has 6 items: "Greater than 5" compares its length.
            step(Some("That's all"), "Perfect!", None),
        ]),
        walk_from("openai-assistant-chat", "AI loop", vec![
            step(None, "", Some(("text input", "us3drnvz2uw6ws3spubulsqn"))),
            step(Some("Hello"), "", Some(("text input", "us3drnvz2uw6ws3spubulsqn")))
                .logs(&[OPENAI_SKIPPED]),
        ]),
        walk_from("openai-conditions", "User input", vec![
            step(None, "How can we help?", Some(("text input", "ovgk70u0kfxrbtz9dy4e040o"))),
            step(Some("I forgot my password"), "Else", None).logs(&[OPENAI_SKIPPED]),
        ]),
        walk_from("quick-carb-calculator", "Sport", vec![
            step(None, "Welcome to the Quick Carb Calculator!", Some((CHOICE, "yura2cvzxy8qea4x1m71ulcy"))),
            step(Some("Run 🏃"), "Great! How long will you be doing this activity?", Some(("text input", "je03xo9p9vipnvw07y859ng7"))),
            step(Some("2 hours"), "Understood! Now, how hard will you be going?", Some(("rating input", "zxvlig3wytb4n7s81prfszau"))),
            step(Some("8"), RETRY, Some(("rating input", "zxvlig3wytb4n7s81prfszau"))),
            step(Some("6"), "To keep a record of your carb calculations…", Some(("email input", "prd6ni8tnjoi62tj29dnthlj"))),
            step(Some("john@example.com"), "", Some((CHOICE, "g0nd8jfs64h90lxy41ztufkf")))
                .logs(&[OPENAI_SKIPPED, SMTP_SKIPPED]),
            step(Some("Go shopping"), "", None).actions(&["redirect"]),
        ]),
        // Another path of the savings estimator reaches its AI block.
        walk("savings-estimator", vec![
            step(None, "Hi there! Are you curious to see how much you can save by switching to reusable sponges and paper towels? 🌱", Some((CHOICE, "rpf1u0bigv1v1z9x2q7m7g27"))),
            step(Some("Yes, let's go!"), "Where do you typically use sponges in your house?", Some((CHOICE, "dufhivf25jztks3a52hdyo6s"))),
            step(Some("2"), "How often would you say that you are throwing a sponge away?", Some((CHOICE, "qiayx3hjmo5ef1n3w3uxux4g"))),
            step(Some("Once a month"), "Did you know that used sponges can harbor…", Some((CHOICE, "yimucmlyxmz85pjsmm9953z8"))),
            step(Some("Every 2 weeks"), "To keep a record of your carb calculations…", Some(("email input", "xwpzbigjxduvrno7e21f84wh"))),
            step(Some("john@example.com"), "", Some((CHOICE, "ticb2wd6zydjn27p6r0m80vo"))).logs(&[OPENAI_SKIPPED]),
            step(Some("Hygiene"), "Thanks for sharing. 🙏", Some(("text input", "n8qrxik30fxrh9dxa3xu5yvf"))),
            step(Some("They smell"), "That's super clear, thank you", Some((CHOICE, "z95sfiyhk4mk3y693ku9ugud"))),
            step(Some("Go shopping"), "", None),
        ]),
        // Reaching a payment input without credentials fails the whole turn.
        walk_from("digital-product-payment", "Payment", vec![
            step(None, "", None).fails(EngineError::MissingCredentials),
        ]),
    ]
}
